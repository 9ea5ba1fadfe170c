// SPDX-License-Identifier: MIT
#include "runtime/constants_memo.h"

#include <cstring>

#include "runtime/factory_info_codec.h"

namespace tutti::runtime {

namespace {

constexpr std::size_t kMaxMemoBytes = std::size_t(64) << 20; ///< larger: computed each time

} // namespace

ConstantsMemo::ConstantsMemo(const std::vector<StateField>& layout, std::size_t state_bytes)
    : layout_(&layout), state_bytes_(state_bytes) {
    for (const StateField& f : layout) {
        enabled_ = enabled_ || f.kind == StateKind::Table;
    }
}

void ConstantsMemo::fill(std::byte* state, int sample_rate, bool fresh,
                         const std::function<void()>& compute) {
    if (!enabled_) {
        compute();
        return;
    }
    std::lock_guard lock(mutex_);
    if (image_.sample_rate == sample_rate && sample_rate != 0) {
        const std::byte* from = image_.bytes.data();
        for (const auto& [offset, bytes] : image_.ranges) {
            std::memcpy(state + offset, from, bytes);
            from += bytes;
        }
        return;
    }
    if (!fresh) {
        compute(); // the state is not as made: what changes is not what init writes
        return;
    }
    const std::vector<std::byte> before(state, state + state_bytes_);
    compute();
    std::vector<Range> ranges;
    std::size_t total = 0;
    for (const StateField& f : *layout_) {
        const bool written =
            f.kind == StateKind::Constant || f.kind == StateKind::Table ||
            (f.kind != StateKind::Sound && f.kind != StateKind::Control &&
             std::memcmp(before.data() + f.offset, state + f.offset, f.bytes) != 0);
        if (!written || f.bytes == 0 || std::size_t(f.offset) + f.bytes > state_bytes_) {
            continue;
        }
        if (!ranges.empty() && ranges.back().first + ranges.back().second == f.offset) {
            ranges.back().second += f.bytes; // adjacent: one copy
        } else {
            ranges.emplace_back(f.offset, f.bytes);
        }
        total += f.bytes;
    }
    if (total > kMaxMemoBytes) {
        return;
    }
    Image image;
    image.sample_rate = sample_rate;
    image.bytes.reserve(total);
    for (const auto& [offset, bytes] : ranges) {
        image.bytes.insert(image.bytes.end(), state + offset, state + offset + bytes);
    }
    image.ranges = std::move(ranges);
    image_ = std::move(image);
    if (on_record_) {
        on_record_(image_); // (under the lock: a rare event, one file written)
    }
}

std::pair<int, std::size_t> ConstantsMemo::held() const {
    std::lock_guard lock(mutex_);
    return {image_.sample_rate, image_.bytes.size()};
}

bool ConstantsMemo::adopt(Image image) {
    if (!enabled_ || image.sample_rate <= 0) {
        return false;
    }
    std::size_t total = 0;
    for (const auto& [offset, bytes] : image.ranges) {
        if (std::size_t(offset) + bytes > state_bytes_) {
            return false;
        }
        total += bytes;
    }
    if (total != image.bytes.size() || total > kMaxMemoBytes) {
        return false;
    }
    std::lock_guard lock(mutex_);
    image_ = std::move(image);
    return true;
}

void ConstantsMemo::on_record(std::function<void(const Image&)> callback) {
    std::lock_guard lock(mutex_);
    on_record_ = std::move(callback);
}

namespace {

constexpr std::string_view kImageMagic = "tutti-constants 1\n";

void put32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        s.push_back(static_cast<char>(v >> (8 * i)));
    }
}
void put64(std::string& s, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        s.push_back(static_cast<char>(v >> (8 * i)));
    }
}
bool get(std::string_view& s, std::uint64_t* v, int bytes) {
    if (s.size() < std::size_t(bytes)) {
        return false;
    }
    *v = 0;
    for (int i = bytes - 1; i >= 0; --i) {
        *v = *v << 8 | static_cast<unsigned char>(s[std::size_t(i)]);
    }
    s.remove_prefix(std::size_t(bytes));
    return true;
}

} // namespace

std::string encode_constants_image(const ConstantsMemo::Image& image) {
    std::string s(kImageMagic);
    put32(s, std::uint32_t(image.sample_rate));
    put32(s, std::uint32_t(image.ranges.size()));
    for (const auto& [offset, bytes] : image.ranges) {
        put32(s, offset);
        put32(s, bytes);
    }
    put64(s, image.bytes.size());
    s.append(reinterpret_cast<const char*>(image.bytes.data()), image.bytes.size());
    put64(s, checksum64(s));
    return s;
}

std::optional<ConstantsMemo::Image> decode_constants_image(std::string_view bytes) {
    if (bytes.size() < kImageMagic.size() + 8 ||
        bytes.substr(0, kImageMagic.size()) != kImageMagic) {
        return std::nullopt;
    }
    std::string_view sum = bytes.substr(bytes.size() - 8);
    std::uint64_t expected = 0;
    if (!get(sum, &expected, 8) || checksum64(bytes.substr(0, bytes.size() - 8)) != expected) {
        return std::nullopt;
    }
    std::string_view s = bytes.substr(kImageMagic.size(), bytes.size() - 8 - kImageMagic.size());
    ConstantsMemo::Image image;
    std::uint64_t rate = 0, n = 0, size = 0;
    if (!get(s, &rate, 4) || !get(s, &n, 4) || rate == 0 || rate > 1000000 || n > s.size() / 8) {
        return std::nullopt;
    }
    image.sample_rate = int(rate);
    for (std::uint64_t k = 0; k < n; ++k) {
        std::uint64_t offset = 0, length = 0;
        if (!get(s, &offset, 4) || !get(s, &length, 4)) {
            return std::nullopt;
        }
        image.ranges.emplace_back(std::uint32_t(offset), std::uint32_t(length));
    }
    if (!get(s, &size, 8) || size != s.size()) {
        return std::nullopt;
    }
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    image.bytes.assign(p, p + s.size());
    return image;
}

} // namespace tutti::runtime
