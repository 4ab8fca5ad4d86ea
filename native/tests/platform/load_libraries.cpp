// load_libraries LIB...: loads each library in order the way the JVM will (every symbol bound at
// once), then looks up JNI_OnLoad in the last one. A cross-built jar's C++ tests run on its
// platform under emulation, but they do not load the JNI library the jar ships; this does.
// Exit 0 when all load, 1 with the loader's error otherwise.
#include <cstdio>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: load_libraries LIB... (the JNI library last)\n");
        return 2;
    }
    void* last = nullptr;
    for (int i = 1; i < argc; ++i) {
#if defined(_WIN32)
        HMODULE handle = LoadLibraryA(argv[i]);
        if (handle == nullptr) {
            std::fprintf(stderr, "load_libraries: %s does not load (Windows error %lu)\n", argv[i], GetLastError());
            return 1;
        }
        last = reinterpret_cast<void*>(handle);
#else
        last = dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL);
        if (last == nullptr) {
            std::fprintf(stderr, "load_libraries: %s\n", dlerror());
            return 1;
        }
#endif
        std::printf("loaded %s\n", argv[i]);
    }
#if defined(_WIN32)
    const bool found = GetProcAddress(reinterpret_cast<HMODULE>(last), "JNI_OnLoad") != nullptr;
#else
    const bool found = dlsym(last, "JNI_OnLoad") != nullptr;
#endif
    if (!found) {
        std::fprintf(stderr, "load_libraries: %s has no JNI_OnLoad\n", argv[argc - 1]);
        return 1;
    }
    std::printf("JNI_OnLoad found in %s\n", argv[argc - 1]);
    return 0;
}
