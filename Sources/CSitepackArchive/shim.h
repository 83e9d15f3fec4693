#ifndef CSITEPACK_ARCHIVE_SHIM_H
#define CSITEPACK_ARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
/* The AE_IF* macros are casts Swift cannot import. */
static const unsigned int SITEPACK_AE_IFREG = AE_IFREG;
static const unsigned int SITEPACK_AE_IFDIR = AE_IFDIR;
static const unsigned int SITEPACK_AE_IFLNK = AE_IFLNK;
static const unsigned int SITEPACK_AE_IFCHR = AE_IFCHR;
static const unsigned int SITEPACK_AE_IFBLK = AE_IFBLK;
static const unsigned int SITEPACK_AE_IFIFO = AE_IFIFO;
static const unsigned int SITEPACK_AE_IFSOCK = AE_IFSOCK;
#endif
