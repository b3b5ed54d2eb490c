// Byte scanners shared by the exposition parsers (PromParser,
// OpenMetricsParser): each returns the first position at or after `p` whose
// byte belongs to a class (or `n` if none), looking at 16 bytes per step.
//
// Why hand-written: BM_PromParserNodeExporter and
// BM_PromParserRealNodeExporter (bench/parser_bench.cc) spent most of their
// time in byte-at-a-time loops over metric names, label names, label values
// and value tokens, and in the mispredicted exit of each such loop (about
// five per line). With SSE2 a token shorter than 16 bytes is classified in
// one predictable step: a compare per interesting byte, one movemask and a
// count of trailing zeros. The last bytes of the body are copied into a
// padded block so the same code path runs to the end (no out-of-bounds
// read) and the tests exercise it on short bodies too. Without SSE2 (not
// x86-64) the scanners are plain loops with the same results.
//
// Thread-safety: pure functions.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace promethium::scrape::textparse::scan {

#if defined(__SSE2__)

// The last < 16 bytes, copied into a zeroed block; out of line so the hot
// loop needs no stack buffer (a smaller frame for every caller).
template <typename Stops>
[[gnu::noinline]] size_t ScanTail(const char* b, size_t p, size_t n, Stops stops) {
  if (p >= n) return n;
  alignas(16) char tail[16] = {};
  std::memcpy(tail, b + p, n - p);
  auto mask = static_cast<unsigned>(stops(_mm_load_si128(reinterpret_cast<const __m128i*>(tail))));
  size_t at = mask != 0 ? p + static_cast<size_t>(std::countr_zero(mask)) : n;
  return at < n ? at : n;
}

// Calls stops(16 bytes) -> bitmask of the bytes that end the scan, for each
// block from p (<= n) on; returns the first such position, or n.
template <typename Stops>
inline size_t Scan(const char* b, size_t p, size_t n, Stops stops) {
  while (n - p >= 16) {
    auto mask = static_cast<unsigned>(stops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + p))));
    if (mask != 0) return p + static_cast<size_t>(std::countr_zero(mask));
    p += 16;
  }
  return ScanTail(b, p, n, stops);
}

inline __m128i Eq(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }
// Bytes in [lo, lo + span] (unsigned).
inline __m128i InRange(__m128i v, char lo, char span) {
  __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(lo));
  return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(span)), d);
}

// First byte that is not [a-zA-Z0-9_] (nor ':' when `colon`).
inline size_t SkipNameChars(const char* b, size_t p, size_t n, bool colon) {
  return Scan(b, p, n, [colon](__m128i v) {
    __m128i ok = _mm_or_si128(InRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 25), InRange(v, '0', 9));
    ok = _mm_or_si128(ok, Eq(v, '_'));
    if (colon) ok = _mm_or_si128(ok, Eq(v, ':'));
    return ~_mm_movemask_epi8(ok) & 0xffff;
  });
}

// First '"', '\\', '\n' or non-ASCII byte: what a quoted label value scan
// must look at.
inline size_t FindLabelValueStop(const char* b, size_t p, size_t n) {
  return Scan(b, p, n, [](__m128i v) {
    __m128i s = _mm_or_si128(_mm_or_si128(Eq(v, '"'), Eq(v, '\\')), Eq(v, '\n'));
    return _mm_movemask_epi8(s) | _mm_movemask_epi8(v);
  });
}

// First ' ', '\t', '\r', '\n' or '{': the end of a text-format value token.
inline size_t FindValueEnd(const char* b, size_t p, size_t n) {
  return Scan(b, p, n, [](__m128i v) {
    __m128i s = _mm_or_si128(_mm_or_si128(Eq(v, ' '), Eq(v, '\t')), _mm_or_si128(Eq(v, '\r'), Eq(v, '\n')));
    return _mm_movemask_epi8(_mm_or_si128(s, Eq(v, '{')));
  });
}

// First ' ' or '\n': the end of an OpenMetrics token.
inline size_t FindSpaceOrNewline(const char* b, size_t p, size_t n) {
  return Scan(b, p, n, [](__m128i v) { return _mm_movemask_epi8(_mm_or_si128(Eq(v, ' '), Eq(v, '\n'))); });
}

// First non-ASCII byte.
inline size_t FindNonAscii(const char* b, size_t p, size_t n) {
  return Scan(b, p, n, [](__m128i v) { return _mm_movemask_epi8(v); });
}

#else  // !__SSE2__: the same contracts, one byte at a time.

inline bool IsNameChar(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (colon && c == ':');
}
inline size_t SkipNameChars(const char* b, size_t p, size_t n, bool colon) {
  while (p < n && IsNameChar(b[p], colon)) ++p;
  return p;
}
inline size_t FindLabelValueStop(const char* b, size_t p, size_t n) {
  while (p < n && b[p] != '"' && b[p] != '\\' && b[p] != '\n' && static_cast<unsigned char>(b[p]) < 0x80) ++p;
  return p;
}
inline size_t FindValueEnd(const char* b, size_t p, size_t n) {
  while (p < n && b[p] != ' ' && b[p] != '\t' && b[p] != '\r' && b[p] != '\n' && b[p] != '{') ++p;
  return p;
}
inline size_t FindSpaceOrNewline(const char* b, size_t p, size_t n) {
  while (p < n && b[p] != ' ' && b[p] != '\n') ++p;
  return p;
}
inline size_t FindNonAscii(const char* b, size_t p, size_t n) {
  while (p < n && static_cast<unsigned char>(b[p]) < 0x80) ++p;
  return p;
}

#endif

}  // namespace promethium::scrape::textparse::scan
