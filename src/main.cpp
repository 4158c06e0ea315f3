// The program's entry point: tunes the allocator for serve, then runs the command line.
#include "cli/allocator_tuning.h"
#include "cli/app.h"

int main(int argc, char** argv) {
  sms::cli::tune_allocator_for_serve(argv);
  return sms::cli::run(argc, argv);
}
