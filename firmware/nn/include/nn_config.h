/*
 * nn_config.h: compile-time choices of the nn runtime.
 *
 * NN_HAVE_DSP and NN_HAVE_MVE select the Cortex-M DSP (SMLAD) and Helium paths of the kernels; they
 * follow the compiler's target (__ARM_FEATURE_DSP, __ARM_FEATURE_MVE) unless defined before this file
 * is included (for example -DNN_HAVE_DSP=0 to force the reference loops). Every fast path equals the
 * reference loop bit for bit.
 */
#ifndef NN_CONFIG_H
#define NN_CONFIG_H

#ifndef NN_HAVE_DSP
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define NN_HAVE_DSP 1
#else
#define NN_HAVE_DSP 0
#endif
#endif

#ifndef NN_HAVE_MVE
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define NN_HAVE_MVE 1
#else
#define NN_HAVE_MVE 0
#endif
#endif

/* NN_REFERENCE_KERNELS=1 compiles every integer kernel with its plain reference loop alone, whatever the
 * core: the tests compare each fast path against it. */
#ifndef NN_REFERENCE_KERNELS
#define NN_REFERENCE_KERNELS 0
#endif

#endif /* NN_CONFIG_H */
