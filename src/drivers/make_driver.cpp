// SPDX-License-Identifier: MIT
/** \file The driver factory of include/tutti/driver.h: a name to a driver. */
#include "drivers/jack_driver.h"
#include "drivers/null_driver.h"
#include "tutti/driver.h"

namespace tutti {

std::unique_ptr<Driver> make_driver(const std::string& name) {
    if (name == "jack") {
        return std::make_unique<drivers::JackDriver>();
    }
    if (name == "null") {
        return std::make_unique<drivers::NullDriver>();
    }
    return nullptr;
}

} // namespace tutti
