#include "cli/app.h"

int main(int argc, char** argv) { return sms::cli::run(argc, argv); }
