// SPDX-License-Identifier: MIT
/** \file A test fixture with a fresh temporary folder, removed afterwards. */
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace tutti::test {

class TempDirTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() / ("tutti-test-" + std::to_string(rd()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    /// Writes `text` to `rel` under the folder (creating subfolders); returns its path.
    std::filesystem::path write(const std::string& rel, const std::string& text) {
        std::filesystem::path p = dir_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p;
    }
    std::filesystem::path dir_;
};

} // namespace tutti::test
