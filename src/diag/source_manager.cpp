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
    return static_cast<FileId>(files_.size());
}

const SourceManager::File& SourceManager::file(FileId id) const {
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

void SourceManager::index_lines(const File& f) const {
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
