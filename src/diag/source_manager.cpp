// SPDX-License-Identifier: MIT
#include "diag/source_manager.h"

#include <algorithm>
#include <stdexcept>

namespace tutti::diag {

FileId SourceManager::add(std::string path, std::string text) {
    auto f = std::make_unique<File>();
    f->path = std::move(path);
    f->text = std::move(text);
    total_bytes_ += f->text.size();
    files_.push_back(std::move(f));
    order_.push_back(static_cast<FileId>(files_.size()));
    return static_cast<FileId>(files_.size());
}

std::shared_ptr<const SourceManager::File> SourceManager::make_shared_file(std::string path,
                                                                           std::string text) {
    auto f = std::make_shared<File>();
    f->path = std::move(path);
    f->text = std::move(text);
    index_lines(*f);
    return f;
}

void SourceManager::add_shared(FileId id, std::shared_ptr<const File> file) {
    if (id < shared_base) {
        throw std::out_of_range("SourceManager: a shared file's id below shared_base");
    }
    total_bytes_ += file->text.size();
    if (shared_.emplace(id, std::move(file)).second) {
        order_.push_back(id);
    }
}

const SourceManager::File& SourceManager::file(FileId id) const {
    if (id >= shared_base) {
        auto it = shared_.find(id);
        if (it == shared_.end()) {
            throw std::out_of_range("SourceManager: bad file id");
        }
        return *it->second;
    }
    if (id == 0 || id > files_.size()) {
        throw std::out_of_range("SourceManager: bad file id");
    }
    return *files_[id - 1];
}

std::string_view SourceManager::text(FileId id) const {
    return file(id).text;
}

const std::string& SourceManager::path(FileId id) const {
    return file(id).path;
}

void SourceManager::index_lines(const File& f) {
    if (!f.line_starts.empty()) {
        return;
    }
    f.line_starts.push_back(0);
    const std::string& t = f.text;
    for (std::uint32_t i = 0; i < t.size(); ++i) {
        if (t[i] == '\n') {
            f.line_starts.push_back(i + 1);
        }
    }
}

LineCol SourceManager::line_col(SourceLoc loc) const {
    if (loc.file == 0) {
        return {};
    }
    const File& f = file(loc.file);
    index_lines(f);
    auto it = std::upper_bound(f.line_starts.begin(), f.line_starts.end(), loc.offset);
    auto line = static_cast<std::uint32_t>(it - f.line_starts.begin()); // 1-based
    std::uint32_t start = f.line_starts[line - 1];
    return {line, loc.offset - start + 1};
}

std::string_view SourceManager::line_text(FileId id, std::uint32_t line) const {
    const File& f = file(id);
    index_lines(f);
    if (line == 0 || line > f.line_starts.size()) {
        return {};
    }
    std::uint32_t start = f.line_starts[line - 1];
    std::uint32_t end = line < f.line_starts.size() ? f.line_starts[line] : f.text.size();
    std::string_view s(f.text.data() + start, end - start);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace tutti::diag
