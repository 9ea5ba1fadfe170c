// SPDX-License-Identifier: MIT
#include "compiler/foreign_code.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/content_hash.h"

extern char** environ;

namespace tutti::compiler {

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const char* c_type(ir::Type t) {
    return t == ir::Type::I32 ? "int" : t == ir::Type::F32 ? "float" : "double";
}

/// The first executable of `names` on PATH.
std::string find_program(std::initializer_list<const char*> names) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    for (const char* n : names) {
        std::size_t start = 0;
        while (start <= dirs.size()) {
            std::size_t end = dirs.find(':', start);
            std::string dir =
                dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
            fs::path p = fs::path(dir.empty() ? "." : dir) / n;
            if (::access(p.c_str(), X_OK) == 0) {
                return p.string();
            }
            if (end == std::string::npos) {
                break;
            }
            start = end + 1;
        }
    }
    return {};
}

fs::path cache_dir() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != 0) {
        return fs::path(x) / "tutti" / "ffi";
    }
    if (const char* h = std::getenv("HOME"); h != nullptr && *h != 0) {
        return fs::path(h) / ".cache" / "tutti" / "ffi";
    }
    return fs::temp_directory_path() / "tutti-ffi";
}

/// Runs argv, its output into `log`; the exit status (or -1).
int run(const std::vector<std::string>& argv, const fs::path& log) {
    std::vector<char*> args;
    args.reserve(argv.size());
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        return -1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

ForeignBuild build_foreign_code(ir::Module& module, const std::vector<fs::path>& search) {
    ForeignBuild out;
    if (module.foreign.empty()) {
        out.ok = true;
        return out;
    }
    // the source of the shared object: every header by its full path, and two
    // entry points per function
    std::string headers, bodies, key;
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < module.foreign.size(); ++i) {
        const ir::ForeignFunction& f = module.foreign[i];
        std::string file = f.include;
        if (file.size() >= 2 && (file.front() == '<' || file.front() == '"')) {
            file = file.substr(1, file.size() - 2);
        }
        fs::path found;
        for (const fs::path& dir : search) {
            std::error_code ec;
            if (fs::is_regular_file(dir / file, ec)) {
                found = fs::absolute(dir / file, ec);
                break;
            }
        }
        if (found.empty()) {
            out.error =
                "the header " + f.include + " of foreign function '" + f.name + "' was not found";
            out.failed_entry = i;
            return out;
        }
        if (std::find(seen.begin(), seen.end(), found.string()) == seen.end()) {
            seen.push_back(found.string());
            headers += "#include \"" + found.string() + "\"\n";
            key += found.string() + "\n" + read_all(found) + "\n";
        }
    }
    std::string prefix_seed = headers + key;
    for (const ir::ForeignFunction& f : module.foreign) {
        prefix_seed += f.name + c_type(f.result);
        for (ir::Type t : f.params) {
            prefix_seed += c_type(t);
        }
    }
    const std::string tag = support::hex64(support::fnv1a(prefix_seed)).substr(0, 12);
    for (std::size_t i = 0; i < module.foreign.size(); ++i) {
        ir::ForeignFunction& f = module.foreign[i];
        std::string params, call, ucall;
        for (std::size_t k = 0; k < f.params.size(); ++k) {
            std::string a = "a" + std::to_string(k);
            params += std::string(k ? ", " : "") + c_type(f.params[k]) + " " + a;
            call += std::string(k ? ", " : "") + a;
            ucall += std::string(k ? ", " : "") + "(" + c_type(f.params[k]) + ")a[" +
                     std::to_string(k) + "]";
        }
        f.symbol = "tutti_ffi_" + tag + "_" + std::to_string(i);
        // NOLINTBEGIN(performance-inefficient-string-concatenation): once per function
        bodies += "extern \"C\" " + std::string(c_type(f.result)) + " " + f.symbol + "(" + params +
                  ") { return (" + c_type(f.result) + ")" + f.name + "(" + call + "); }\n";
        bodies += "extern \"C\" void " + f.symbol +
                  "_u(const double* a, double* r) { *r = (double)" + f.name + "(" + ucall +
                  "); }\n";
        // NOLINTEND(performance-inefficient-string-concatenation)
    }
    const std::string source =
        "// made by tutti for the foreign functions of a Faust program\n#include <cmath>\n" +
        headers + bodies;
    const std::string cxx = find_program({"c++", "g++", "clang++"});
    const std::string key_all = source + key + cxx;
    fs::path dir = cache_dir();
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::path so = dir / ("ffi-" + support::hex64(support::fnv1a(key_all)) + ".so");
    if (!fs::exists(so, ec)) {
        if (cxx.empty()) {
            out.error = "foreign function '" + module.foreign[0].name +
                        "' needs a C++ compiler to build its header, and none was found (c++, g++ "
                        "or clang++)";
            return out;
        }
        // a private name first, renamed into place: several processes may build at once
        fs::path tmp = dir / ("tmp-" + std::to_string(::getpid()) + "-" + so.filename().string());
        fs::path src = tmp;
        src.replace_extension(".cpp");
        fs::path log = tmp;
        log.replace_extension(".log");
        {
            std::ofstream o(src);
            o << source;
        }
        int rc = run(
            {cxx, "-std=c++17", "-O2", "-fPIC", "-shared", "-w", "-o", tmp.string(), src.string()},
            log);
        if (rc != 0) {
            std::string text = read_all(log);
            std::size_t cut = 0;
            for (int lines = 0; lines < 4 && cut != std::string::npos; ++lines) {
                cut = text.find('\n', cut == 0 ? 0 : cut + 1);
            }
            out.error = "the header of foreign function '" + module.foreign[0].name +
                        "' does not compile (" + cxx + "): " + text.substr(0, cut);
            fs::remove(src, ec);
            fs::remove(log, ec);
            fs::remove(tmp, ec);
            return out;
        }
        fs::rename(tmp, so, ec);
        fs::remove(src, ec);
        fs::remove(log, ec);
    }
    // loaded for the life of the process (JIT-compiled code may call it at any time);
    // global, so that the JIT finds the typed entry points by name
    void* handle = ::dlopen(so.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (handle == nullptr) {
        const char* e = ::dlerror();
        out.error =
            std::string("cannot load the foreign functions' shared object: ") + (e ? e : "?");
        return out;
    }
    for (std::size_t i = 0; i < module.foreign.size(); ++i) {
        ir::ForeignFunction& f = module.foreign[i];
        void* u = ::dlsym(handle, (f.symbol + "_u").c_str());
        if (u == nullptr || ::dlsym(handle, f.symbol.c_str()) == nullptr) {
            out.error = "the foreign functions' shared object lacks " + f.symbol;
            out.failed_entry = i;
            return out;
        }
        f.uniform = reinterpret_cast<void (*)(const double*, double*)>(u);
    }
    out.ok = true;
    return out;
}

} // namespace tutti::compiler
