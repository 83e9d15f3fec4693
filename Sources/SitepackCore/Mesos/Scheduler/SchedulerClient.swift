public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP side of the v1 scheduler API (mesos.md §3): a long-lived SUBSCRIBE POST whose chunked
/// body is decoded as RecordIO as it arrives, and every other call as a POST of its own on a separate
/// connection carrying the stream's `Mesos-Stream-Id`. Built on SwiftNIO's HTTP/1.1 client handlers.
///
/// Follows a 307 to the leading master and remembers it; turns a 4xx into the master's message, and
/// anything that is not a Mesos master's answer into a ``SitepackError`` saying so. The credentials
/// go only into the `Authorization` header, never into a message.
public final class SchedulerClient: Sendable {
    /// The failures worth retrying: 503 (no leader, recovering), connection errors, a dropped stream.
    public struct Retryable: Error, Sendable, CustomStringConvertible {
        /// What happened.
        public var reason: String
        public var description: String { reason }
    }

    private let leader: Mutex<MasterAddress>
    private let authorization: String?
    private let group: any EventLoopGroup
    /// The longest error body kept for a message.
    static let maximumErrorBody = 16 * 1024
    /// How many redirects are followed for one call.
    static let maximumRedirects = 5

    /// A client for `master`, authenticating with HTTP basic auth when `principal` and `secret` are given.
    public init(master: MasterAddress, principal: String? = nil, secret: String? = nil) {
        self.leader = Mutex(master)
        if let principal, let secret {
            authorization = "Basic " + Data("\(principal):\(secret)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        self.group = MultiThreadedEventLoopGroup.singleton
    }

    /// The master calls go to: the one given, or the leader a 307 named.
    public var master: MasterAddress { leader.withLock { $0 } }

    // MARK: - SUBSCRIBE

    /// Posts SUBSCRIBE and reads its event stream until it ends. Calls `connected` with the
    /// `Mesos-Stream-Id` once the master answers 200, then `record` with each RecordIO record.
    /// When `idleLimit()` returns a duration and nothing arrives for that long, the connection is closed
    /// and ``Retryable`` thrown (a master that stopped sending heartbeats is presumed gone).
    public func subscribe(
        body: Data,
        idleLimit: @escaping @Sendable () -> Duration?,
        connected: @escaping @Sendable (String) async -> Void,
        record: @escaping @Sendable (Data) async throws -> Void
    ) async throws {
        for _ in 0...Self.maximumRedirects {
            let address = master
            let channel = try await connect(address)
            let watch = StreamWatch()
            let redirect: MasterAddress? = try await withThrowingTaskGroup(of: MasterAddress?.self) { group in
                group.addTask {
                    try await channel.executeThenClose { inbound, outbound in
                        try await self.write(body: body, streamID: nil, to: address, outbound: outbound)
                        var parts = inbound.makeAsyncIterator()
                        let head = try await self.head(from: &parts, address: address, call: "SUBSCRIBE")
                        switch head.status.code {
                        case 200:
                            break
                        case 307:
                            return try self.redirect(head, from: address)
                        default:
                            let text = try await self.text(from: &parts)
                            throw self.failure(head, body: text, call: "SUBSCRIBE", address: address)
                        }
                        let contentType = head.headers.first(name: "Content-Type") ?? ""
                        guard contentType.hasPrefix("application/json") else {
                            throw SitepackError(.notAMesosMaster, "\(address.endpoint) answered SUBSCRIBE with 200 but Content-Type '\(contentType)', not application/json: this is not a Mesos master's scheduler endpoint; give the master's address (e.g. http://MASTER:5050)")
                        }
                        guard let streamID = head.headers.first(name: "Mesos-Stream-Id"), !streamID.isEmpty else {
                            throw SitepackError(.notAMesosMaster, "\(address.endpoint) answered SUBSCRIBE without a Mesos-Stream-Id header: this is not a Mesos master's scheduler endpoint")
                        }
                        await connected(streamID)
                        var decoder = RecordIODecoder()
                        while let part = try await parts.next() {
                            watch.read()
                            switch part {
                            case .head:
                                continue
                            case .body(let buffer):
                                for item in try decoder.decode(buffer.readableBytesView) { try await record(item) }
                            case .end:
                                return nil
                            }
                        }
                        if watch.isIdle {
                            throw Retryable(reason: "no event or heartbeat from \(address) for \(idleLimit().map { DurationText.wholeSeconds($0) } ?? 0) s (5 × heartbeat_interval_seconds): reconnecting")
                        }
                        return nil
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(100))
                        guard let limit = idleLimit() else { continue }
                        if watch.idle(longerThan: limit) {
                            channel.channel.close(promise: nil)
                            return nil
                        }
                    }
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { return nil }
                return first
            }
            if watch.isIdle {
                throw Retryable(reason: "no event or heartbeat from \(address) for \(idleLimit().map { String(describing: $0) } ?? "?") (5 × heartbeat_interval_seconds): reconnecting")
            }
            guard let redirect else { return }
            leader.withLock { $0 = redirect }
        }
        throw SitepackError(.masterRefused, "\(master.endpoint): more than \(Self.maximumRedirects) redirects to the leading master")
    }

    // MARK: - Other calls

    /// Posts one call on a connection of its own with the stream id; returns when the master answered
    /// 202 (or 200). A 307 is followed; a 503 or a connection error is ``Retryable``; any other status
    /// is a ``SitepackError`` with the master's message.
    public func send(_ body: Data, type: String, streamID: String) async throws {
        for _ in 0...Self.maximumRedirects {
            let address = master
            let channel = try await connect(address)
            let redirect: MasterAddress? = try await channel.executeThenClose { inbound, outbound in
                try await self.write(body: body, streamID: streamID, to: address, outbound: outbound)
                var parts = inbound.makeAsyncIterator()
                let head = try await self.head(from: &parts, address: address, call: type)
                let text = try await self.text(from: &parts)
                switch head.status.code {
                case 200, 202: return nil
                case 307: return try self.redirect(head, from: address)
                default: throw self.failure(head, body: text, call: type, address: address)
                }
            }
            guard let redirect else { return }
            leader.withLock { $0 = redirect }
        }
        throw SitepackError(.masterRefused, "\(master.endpoint): more than \(Self.maximumRedirects) redirects to the leading master")
    }

    // MARK: - HTTP

    private typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    private func connect(_ address: MasterAddress) async throws -> Channel {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .connect(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try Channel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            let text = "\(error)"
            let reason = text.contains("Connection refused") ? "connection refused (nothing listens there)"
                : text.contains("timed out") || text.contains("connectTimeout") ? "connection timed out" : text
            throw Retryable(reason: "cannot connect to \(address): \(reason)")
        }
    }

    private func write(body: Data, streamID: String?, to address: MasterAddress,
                       outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(address.host):\(address.port)")
        // Exactly this: the master compares the string, parameters included (mesos.md §3.1).
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        if let streamID {
            headers.add(name: "Mesos-Stream-Id", value: streamID)
            headers.add(name: "Connection", value: "close")
        }
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        do {
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: MasterAddress.path, headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            try await outbound.write(.end(nil))
        } catch {
            throw Retryable(reason: "the connection to \(address) broke while sending: \(error)")
        }
    }

    private func head(from parts: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator,
                      address: MasterAddress, call: String) async throws -> HTTPResponseHead {
        do {
            guard case .head(let head)? = try await parts.next() else {
                throw Retryable(reason: "\(address) closed the connection without answering \(call)")
            }
            if head.status.code == 503 {
                throw Retryable(reason: "\(address) answered \(call) with 503 Service Unavailable (no leading master yet, or it is recovering)")
            }
            return head
        } catch let error as HTTPParserError {
            throw SitepackError(.notAMesosMaster, "\(address) did not answer \(call) in HTTP (\(error)): this is not a Mesos master; give the master's address (e.g. http://MASTER:5050)")
        } catch let error as Retryable {
            throw error
        } catch {
            throw Retryable(reason: "the connection to \(address) broke: \(error)")
        }
    }

    private func text(from parts: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator) async throws -> String {
        var bytes: [UInt8] = []
        do {
            while let part = try await parts.next() {
                switch part {
                case .head: continue
                case .body(let buffer): if bytes.count < Self.maximumErrorBody { bytes += buffer.readableBytesView.prefix(Self.maximumErrorBody - bytes.count) }
                case .end: return String(decoding: bytes, as: UTF8.self)
                }
            }
        } catch {
            // A body cut short still says what it said.
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func redirect(_ head: HTTPResponseHead, from address: MasterAddress) throws -> MasterAddress {
        guard let location = head.headers.first(name: "Location"), let leader = MasterAddress(location: location) else {
            throw SitepackError(.notAMesosMaster, "\(address) answered 307 without a Location naming the leading master ('\(head.headers.first(name: "Location") ?? "")')")
        }
        return leader
    }

    /// The error for a status other than 200/202/307/503, with the master's own words.
    func failure(_ head: HTTPResponseHead, body: String, call: String, address: MasterAddress) -> SitepackError {
        let code = Int(head.status.code)
        let message = body.trimmingCharacters(in: .whitespacesAndNewlines)
        let said = message.isEmpty ? "" : ": \(message.prefix(2000))"
        let status = "\(code) \(head.status.reasonPhrase)"
        let contentType = head.headers.first(name: "Content-Type") ?? ""
        if code == 404 || code == 405 || code == 501 || contentType.contains("html") {
            return SitepackError(.notAMesosMaster, "\(address.endpoint) answered \(call) with \(status): this is not a Mesos master's v1 scheduler endpoint (a master answers POST /api/v1/scheduler); check --master (e.g. http://MASTER:5050)")
        }
        let hint: String
        switch code {
        case 401: hint = " — the master requires framework authentication: give --principal and --secret-file (the credentials it knows)"
        case 403: hint = " — the master does not let this framework do that (not subscribed, or the principal is not allowed)"
        case 415: hint = " — the master refused the Content-Type"
        case 400: hint = " — the master refused the call as invalid"
        default: hint = ""
        }
        return SitepackError(.masterRefused, "the master (\(address)) refused \(call) with \(status)\(said)\(hint)")
    }
}

/// When the SUBSCRIBE stream last delivered bytes, shared by its reader and its watchdog.
final class StreamWatch: Sendable {
    private let lastRead = Mutex(ContinuousClock.now)
    private let closedIdle = Mutex(false)

    /// Bytes arrived now.
    func read() { lastRead.withLock { $0 = .now } }

    /// Whether nothing arrived for longer than `limit`; if so the stream counts as idle from now on.
    func idle(longerThan limit: Duration) -> Bool {
        guard ContinuousClock.now - lastRead.withLock({ $0 }) > limit else { return false }
        closedIdle.withLock { $0 = true }
        return true
    }

    /// Whether the watchdog closed the stream.
    var isIdle: Bool { closedIdle.withLock { $0 } }
}
