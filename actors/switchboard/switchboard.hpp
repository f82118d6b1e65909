#pragma once

/// Everything a CAF application needs to use the router.

#include "switchboard/atoms.hpp"
#include "switchboard/call.hpp"
#include "switchboard/error.hpp"
#include "switchboard/handler.hpp"
#include "switchboard/invoker.hpp"
#include "switchboard/route_handle.hpp"
#include "switchboard/router.hpp"
