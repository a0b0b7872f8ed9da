// sim/sc/port_bits.h: read and write a bit field of a Verilated port value,
// whatever type Verilator gave the port: an integer (up to 64 bits), a
// VlWide (--cc, wider), or an sc_bv (--sc, wider).  Fields never straddle a
// 32-bit word (lanes are 16 or 32 bits, aligned).
#ifndef SIM_SC_PORT_BITS_H
#define SIM_SC_PORT_BITS_H

#include <cstdint>
#include <type_traits>

#if VM_SC
#include <systemc.h>
#endif
#include "verilated.h"

template <class T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
inline void put_bits(T &v, int lo, int w, uint64_t x)
{
    uint64_t m = w >= 64 ? ~0ull : ((1ull << w) - 1);
    v = (T)(((uint64_t)v & ~(m << lo)) | ((x & m) << lo));
}
template <class T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
inline uint64_t get_bits(const T &v, int lo, int w)
{
    uint64_t m = w >= 64 ? ~0ull : ((1ull << w) - 1);
    return ((uint64_t)v >> lo) & m;
}
template <std::size_t N> inline void put_bits(VlWide<N> &v, int lo, int w, uint64_t x)
{
    uint32_t m = w >= 32 ? ~0u : ((1u << w) - 1);
    EData &d = v.at((size_t)lo / 32);
    int s = lo % 32;
    d = (d & ~(m << s)) | (((uint32_t)x & m) << s);
}
template <std::size_t N> inline uint64_t get_bits(const VlWide<N> &v, int lo, int w)
{
    uint32_t m = w >= 32 ? ~0u : ((1u << w) - 1);
    return (v.at((size_t)lo / 32) >> (lo % 32)) & m;
}
#if VM_SC
template <int W> inline void put_bits(sc_dt::sc_bv<W> &v, int lo, int w, uint64_t x)
{
    v.range(lo + w - 1, lo) = (uint32_t)x;
}
template <int W> inline uint64_t get_bits(const sc_dt::sc_bv<W> &v, int lo, int w)
{
    return v.range(lo + w - 1, lo).to_uint64();
}
#endif

#endif
