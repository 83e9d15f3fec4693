#ifndef CSITEPACK_CURL_SHIM_H
#define CSITEPACK_CURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic macros Swift cannot call; these fix the types. */
static inline CURLcode sitepack_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode sitepack_curl_setopt_string(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode sitepack_curl_setopt_pointer(CURL *c, CURLoption o, void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode sitepack_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
typedef size_t (*sitepack_curl_data_cb)(char *, size_t, size_t, void *);
typedef int (*sitepack_curl_xfer_cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode sitepack_curl_setopt_data_cb(CURL *c, CURLoption o, sitepack_curl_data_cb v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode sitepack_curl_setopt_xfer_cb(CURL *c, CURLoption o, sitepack_curl_xfer_cb v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode sitepack_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
static inline CURLcode sitepack_curl_getinfo_off(CURL *c, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(c, i, v); }
static inline CURLcode sitepack_curl_getinfo_string(CURL *c, CURLINFO i, char **v) { return curl_easy_getinfo(c, i, v); }
#endif
