#include "cli/cli.hpp"

int main(int argc, char **argv) {
  return lrf::cli_main(argc, argv);
}
