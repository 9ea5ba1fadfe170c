// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "web/assets.h"

namespace fs = std::filesystem;
using tutti::web::Asset;
using tutti::web::find_asset;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const fs::path kRoot = fs::path(TUTTI_SOURCE_DIR) / "web" / "public";

} // namespace

TEST(WebAssets, EveryFileOfWebPublicIsEmbeddedByteForByte) {
    std::size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(kRoot)) {
        if (!e.is_regular_file() || e.path().filename().string().front() == '.') {
            continue;
        }
        ++files;
        std::string url = "/" + fs::relative(e.path(), kRoot).generic_string();
        const Asset* a = find_asset(url);
        ASSERT_NE(a, nullptr) << url;
        EXPECT_EQ(a->path, url);
        EXPECT_EQ(a->body, read_file(e.path())) << url;
    }
    EXPECT_EQ(files, std::size_t(tutti::web::assets_end() - tutti::web::assets_begin()));
    EXPECT_GE(files, 3u);
}

TEST(WebAssets, RootIsThePage) {
    const Asset* root = find_asset("/");
    ASSERT_NE(root, nullptr);
    EXPECT_EQ(root->path, "/index.html");
    EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
    EXPECT_NE(root->body.find("<!doctype html>"), std::string_view::npos);
    EXPECT_EQ(find_asset("/?token=abc"), root);
    EXPECT_EQ(find_asset("/index.html#x"), root);
}

TEST(WebAssets, ContentTypes) {
    for (const Asset* a = tutti::web::assets_begin(); a != tutti::web::assets_end(); ++a) {
        if (a->path.ends_with(".js")) {
            EXPECT_EQ(a->content_type, "text/javascript; charset=utf-8") << a->path;
        } else if (a->path.ends_with(".css")) {
            EXPECT_EQ(a->content_type, "text/css; charset=utf-8") << a->path;
        }
    }
    ASSERT_NE(find_asset("/js/main.js"), nullptr);
}

TEST(WebAssets, NothingElse) {
    for (const char* p :
         {"/../../etc/hostname", "/js/../index.html", "/js", "/js/", "", "index.html",
          "/nonexistent.js", "//index.html", "/INDEX.HTML", "/%2e%2e/etc/passwd"}) {
        const Asset* a = find_asset(p);
        if (std::string_view(p).empty()) {
            EXPECT_NE(a, nullptr); // the empty path is the root
            continue;
        }
        EXPECT_EQ(a, nullptr) << p;
    }
}
