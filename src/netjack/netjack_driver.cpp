// SPDX-License-Identifier: MIT
/** \file The NetJack driver factory (see netjack_driver.h). */
#include "netjack/netjack_driver.h"

#include "netjack/master_driver.h"
#include "netjack/slave_driver.h"

namespace tutti::netjack {

std::unique_ptr<Driver> make_driver(const std::string& name, const NetOptions& options) {
    if (name == "netjack-slave") {
        return std::make_unique<SlaveDriver>(options);
    }
    if (name == "netjack-master") {
        return std::make_unique<MasterDriver>(options);
    }
    return nullptr;
}

} // namespace tutti::netjack
