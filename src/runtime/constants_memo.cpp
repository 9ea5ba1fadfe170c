// SPDX-License-Identifier: MIT
#include "runtime/constants_memo.h"

#include <cstring>

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

} // namespace tutti::runtime
