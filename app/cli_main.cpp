#include <iostream>

#include "core/cli/Cli.h"

int main(int argc, char** argv) { return spotwise::cli::run(argc, argv, std::cout, std::cerr); }
