#include "CSitepackZlib.h"

int sitepack_inflate_init_gzip(z_stream *stream) {
    /* 15 + 32: any zlib or gzip header, concatenated members handled by the caller. */
    return inflateInit2(stream, 15 + 32);
}

int sitepack_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

const char *sitepack_libdeflate_version(void) { return LIBDEFLATE_VERSION_STRING; }
const char *sitepack_zlib_version(void) { return zlibVersion(); }
