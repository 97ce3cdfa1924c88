#pragma once
#include "app/config.hpp"

namespace orderflow::app {

// Runs the service (`serve`, the default subcommand) until SIGTERM or SIGINT has drained it;
// returns the process exit code.
int serve(Config cfg);

}  // namespace orderflow::app
