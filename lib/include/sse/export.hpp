// Symbol visibility for libsse: everything is hidden unless marked SSE_EXPORT.
#ifndef SSE_EXPORT_HPP
#define SSE_EXPORT_HPP

#if defined(SSE_STATIC)
#define SSE_EXPORT
#elif defined(_WIN32)
#if defined(SSE_BUILDING)
#define SSE_EXPORT __declspec(dllexport)
#else
#define SSE_EXPORT __declspec(dllimport)
#endif
#else
#define SSE_EXPORT __attribute__((visibility("default")))
#endif

#endif
