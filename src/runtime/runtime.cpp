// SPDX-License-Identifier: MIT
/** \file The parts of Factory and Instance that every implementation shares. */
#include "tutti/runtime.h"

#include "runtime/constants_memo.h"
#include "support/content_hash.h"

namespace tutti {

const char* to_string(StateKind kind) {
    switch (kind) {
    case StateKind::Control:
        return "control";
    case StateKind::Constant:
        return "constant";
    case StateKind::Table:
        return "table";
    case StateKind::Delay:
        return "delay";
    case StateKind::Recursion:
        return "recursion";
    case StateKind::Iota:
        return "iota";
    case StateKind::Sound:
        return "sound";
    case StateKind::Other:
        break;
    }
    return "other";
}

const char* to_string(ValueType type) {
    switch (type) {
    case ValueType::I32:
        return "i32";
    case ValueType::F32:
        return "f32";
    case ValueType::F64:
        break;
    }
    return "f64";
}

std::uint32_t size_of(ValueType type) {
    return type == ValueType::F64 ? 8 : 4;
}

namespace {

const char* identity_prefix(StateIdentity::Kind k) {
    using K = StateIdentity::Kind;
    switch (k) {
    case K::None:
        return "";
    case K::Control:
        return "control";
    case K::Delay:
        return "delay";
    case K::Recursion:
        return "rec";
    case K::Table:
        return "table";
    case K::RwTable:
        return "rwtable";
    case K::Held:
        return "held";
    case K::Prefix:
        return "prefix";
    case K::WavePos:
        return "wavepos";
    case K::Iota:
        return "iota";
    }
    return "";
}

} // namespace

std::string to_string(const StateIdentity& id) {
    using K = StateIdentity::Kind;
    switch (id.kind) {
    case K::None:
        return {};
    case K::Iota:
        return "iota";
    case K::Control:
        return "control:" + id.path;
    default:
        return std::string(identity_prefix(id.kind)) + ":" + support::hex64(id.position) + ":" +
               support::hex64(id.shape);
    }
}

std::size_t StateIdentityHash::operator()(const StateIdentity& id) const noexcept {
    const std::uint64_t words[3] = {std::uint64_t(id.kind), id.position, id.shape};
    return std::size_t(support::fnv1a(id.path, support::fnv1a(words, sizeof words)));
}

// ---------------------------------------------------------------- Factory

Factory::Factory(FactoryInfo info)
    : info_(std::move(info)),
      memo_(std::make_unique<runtime::ConstantsMemo>(info_.state_layout, info_.state_bytes)) {
}
Factory::~Factory() = default;

void Factory::build_user_interface(UiVisitor& visitor) const {
    for (const UiItem& item : info_.ui) {
        switch (item.kind) {
        case UiItem::Kind::OpenGroup:
            visitor.open_group(item.type, item.label, item.metadata);
            break;
        case UiItem::Kind::CloseGroup:
            visitor.close_group();
            break;
        case UiItem::Kind::Widget:
            visitor.widget(info_.parameters[item.parameter], item.parameter);
            break;
        }
    }
}

std::unique_ptr<Instance> Factory::create_instance() const {
    return make_instance(shared_from_this());
}
std::unique_ptr<Instance> Factory::create_instance_in(std::byte* state) const {
    return make_instance_in(shared_from_this(), state);
}
std::unique_ptr<Instance> Factory::make_instance_in(std::shared_ptr<const Factory>,
                                                    std::byte*) const {
    return nullptr;
}

// ---------------------------------------------------------------- Instance

Instance::Instance(std::shared_ptr<const Factory> factory) : factory_(std::move(factory)) {
}
Instance::~Instance() = default;

void Instance::note(const NoteEvent&) {
}

void Instance::init(int sample_rate) {
    instance_constants(sample_rate);
    reset_controls();
    clear();
}
int Instance::num_inputs() const {
    return factory_->num_inputs();
}
int Instance::num_outputs() const {
    return factory_->num_outputs();
}
const std::vector<Parameter>& Instance::parameters() const {
    return factory_->parameters();
}
bool Instance::set_parameter(std::string_view name, double value) {
    bool found = false;
    const auto& params = parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].named(name)) {
            set_parameter(i, value);
            found = true;
        }
    }
    return found;
}
std::optional<double> Instance::get_parameter(std::string_view name) const {
    const auto& params = parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].named(name)) {
            return get_parameter(i);
        }
    }
    return std::nullopt;
}

} // namespace tutti
