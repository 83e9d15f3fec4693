import Foundation
import Testing
@testable import SitepackCore

@Suite struct TaskURIsTests {
    @Test func taskInfoAcceptAndMarathon() throws {
        let task = #"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"a"},"command":{"value":"true","uris":[{"value":"http://h/a.tgz","extract":true,"cache":true},{"value":"http://h/run","executable":true,"output_file":"bin/run"}]}}"#
        let fromTask = try TaskURIs.parse(Data(task.utf8), source: "task.json")
        #expect(fromTask == [MesosURI(value: "http://h/a.tgz", cache: true), MesosURI(value: "http://h/run", executable: true, outputFile: "bin/run")])

        let accept = #"{"framework_id":{"value":"f"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"o"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":[\#(task)]}}]}}"#
        #expect(try TaskURIs.parse(Data(accept.utf8), source: "accept.json") == fromTask)

        let marathon = #"{"id":"/sites/docs","cmd":"x","fetch":[{"uri":"http://h/a.tgz","extract":false,"destPath":"b.tgz"}]}"#
        #expect(try TaskURIs.parse(Data(marathon.utf8), source: "app.json") == [MesosURI(value: "http://h/a.tgz", extract: false, outputFile: "b.tgz")])

        #expect(throws: SitepackError.self) { try TaskURIs.parse(Data("{}".utf8), source: "empty.json") }
        #expect(throws: SitepackError.self) { try TaskURIs.parse(Data("nope".utf8), source: "bad.json") }
    }

    @Test("LAUNCH_GROUP: the executor's URIs, then each task's; a task without command uses its executor's")
    func launchGroupAndExecutors() throws {
        let accept = #"{"accept":{"operations":[{"launch_group":{"executor":{"command":{"uris":[{"value":"http://h/e.tgz"}]}},"task_group":{"tasks":[{"executor":{"command":{"uris":[{"value":"http://h/t.tgz","extract":false}]}}}]}}}]}}"#
        #expect(try TaskURIs.parse(Data(accept.utf8), source: "a.json") == [MesosURI(value: "http://h/e.tgz"), MesosURI(value: "http://h/t.tgz", extract: false)])
        let legacy = #"{"id":"/x","uris":["http://h/a.tgz"]}"#
        #expect(try TaskURIs.parse(Data(legacy.utf8), source: "app.json") == [MesosURI(value: "http://h/a.tgz")])
        #expect(try TaskURIs.parse(Data(#"{"command":{"value":"true"}}"#.utf8), source: "t.json").isEmpty)
    }

    @Test("errors name the file and what is missing, in the same words as before")
    func errorMessages() {
        func message(_ text: String) -> String? {
            do {
                _ = try TaskURIs.parse(Data(text.utf8), source: "f.json")
                return nil
            } catch let error as SitepackError {
                #expect(error.code == .invalidInput)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message("nope") == "f.json is not JSON: The operation could not be completed. The data is not in the correct format.")
        #expect(message("[1]") == "f.json: expected a JSON object (a TaskInfo, an ACCEPT call or a Marathon app)")
        #expect(message("{}")?.hasPrefix("f.json: found no URIs;") == true)
        #expect(message(#"{"command":{"uris":[{"extract":true}]}}"#) == #"f.json: a CommandInfo.URI has no "value" (it is required)"#)
        #expect(message(#"{"id":"/x","fetch":[{"extract":true}]}"#) == #"f.json: a fetch[] item has no "uri""#)
        #expect(message(#"{"command":{"uris":[{"value":"http://h/a.tgz","extract":"yes"}]}}"#)?.hasPrefix("f.json: command.uris[0].extract:") == true)
    }
}
