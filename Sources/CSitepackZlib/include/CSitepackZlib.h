#ifndef CSITEPACK_ZLIB_H
#define CSITEPACK_ZLIB_H
#include <stddef.h>
#include <zlib.h>
#include <libdeflate.h>

/* deflateInit2/inflateInit2 are macros; Swift needs functions. */
int sitepack_inflate_init_gzip(z_stream *stream);
int sitepack_deflate_init_gzip(z_stream *stream, int level);
const char *sitepack_libdeflate_version(void);
const char *sitepack_zlib_version(void);
#endif
