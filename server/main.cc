// promethium: entry point. Parses flags, starts the Server, then turns
// signals into actions on one dedicated thread (this one): SIGHUP reloads
// the config, SIGTERM/SIGINT shut down gracefully. `promethium test rules
// FILE...` runs rule unit tests instead (rules/unittest/cli.h).
//
// The handled signals are blocked before any thread exists, so every thread
// the components start inherits the mask and only sigwait() below ever
// receives them; no async-signal-safety concerns arise.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "rules/unittest/cli.h"
#include "server/build_info.h"
#include "server/flags.h"
#include "server/server.h"
#include "tsdb/base/logging.h"

namespace promethium::server {
namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Serves signals until one asks for shutdown.
void WaitForShutdown(const sigset_t& signals, Server* server) {
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      server->Reload().IgnoreError();  // logs and records its own outcome
      continue;
    }
    LogWarn("main", "Received an OS signal, exiting gracefully...: signal={}",
            sig == SIGTERM ? "terminated" : "interrupt");
    return;
  }
}

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // `promethium test rules FILE...`: promtool-style rule unit tests.
  if (!args.empty() && args[0] == "test") {
    return rules::unittest::RunTestCommand({args.begin() + 1, args.end()}, "promethium", std::cout, std::cerr);
  }
  CommandLine cl = ParseCommandLine(args);
  switch (cl.action) {
    case CommandLine::Action::kPrintHelp: std::fputs(HelpText("promethium").c_str(), stdout); return 0;
    case CommandLine::Action::kPrintVersion: std::fputs(VersionText("promethium").c_str(), stdout); return 0;
    case CommandLine::Action::kFail:
      // Exit code 3 (flags of the other mode) is Prometheus's own message.
      std::fprintf(stderr, cl.exit_code == 3 ? "%s\n" : "promethium: error: %s\n", cl.error.c_str());
      return cl.exit_code;
    case CommandLine::Action::kRun: break;
  }
  SetLogLevel(cl.flags.log_level);

  const sigset_t signals = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  Server server(cl.flags);
  Status s = server.Start();
  if (!s.ok()) {
    LogError("main", "{}", s.message());
    server.Stop();
    return 1;
  }
  WaitForShutdown(signals, &server);
  server.Stop();
  LogInfo("main", "See you next time!");
  return 0;
}

}  // namespace
}  // namespace promethium::server

int main(int argc, char** argv) { return promethium::server::Run(argc, argv); }
