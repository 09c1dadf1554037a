// SPDKCPP_THREAD_CHECKS: whether thread-affinity rules are checked at run time.
// On by default in debug builds, off (free) in release builds (NDEBUG); define it
// to 0 or 1 to choose.
#pragma once

#ifndef SPDKCPP_THREAD_CHECKS
#ifdef NDEBUG
#define SPDKCPP_THREAD_CHECKS 0
#else
#define SPDKCPP_THREAD_CHECKS 1
#endif
#endif
