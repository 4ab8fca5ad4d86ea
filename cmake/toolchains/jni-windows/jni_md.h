/* jni_md.h for Windows, for the cross build of the JNI library with MinGW-w64: a Linux JDK ships
 * only its own (no dllexport, no __stdcall), and the JNI library must see what a Windows JDK's
 * says. Found before the JDK's because the cross-windows-x86_64 profile puts this folder first
 * on the include path; jni.h includes it as "jni_md.h". */
#ifndef _JAVASOFT_JNI_MD_H_
#define _JAVASOFT_JNI_MD_H_

#define JNIEXPORT __declspec(dllexport)
#define JNIIMPORT __declspec(dllimport)
#define JNICALL __stdcall

/* Windows is LLP64: long is 32 bits, as jint is. */
typedef long jint;
typedef long long jlong;
typedef signed char jbyte;

#endif /* !_JAVASOFT_JNI_MD_H_ */
