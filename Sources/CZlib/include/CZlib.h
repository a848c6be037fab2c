// CZlib: the smallest C surface Swift needs to drive zlib for gzip bodies.
//
// zlib's inflateInit2 and deflateInit2 are function-like macros (they pass ZLIB_VERSION
// and sizeof(z_stream) to inflateInit2_/deflateInit2_), which Swift cannot call; each
// czlib_ function is a fixed-arity wrapper around one of them. Everything else (inflate,
// deflate, inflateReset, inflateEnd, deflateBound, deflateEnd) is called from Swift
// directly through this header's include of <zlib.h>. Only the server links libz: the
// Autograd library product never imports this module.
#ifndef CZLIB_H
#define CZLIB_H

#include <zlib.h>

/// inflateInit2 for a gzip stream only (RFC 1952 header and trailer; windowBits 15 + 16).
/// `stream` must be zeroed and must not move until inflateEnd (zlib keeps its address).
int czlib_inflate_init_gzip(z_stream *stream);

/// deflateInit2 writing a gzip stream (windowBits 15 + 16, memLevel 8, the default
/// strategy) at `level` (0-9). zlib writes a header with no name and MTIME 0, so the same
/// input and level give the same bytes.
int czlib_deflate_init_gzip(z_stream *stream, int level);

#endif
