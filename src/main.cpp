#include "app/app.hpp"

int main(int argc, char** argv) {
  return orderflow::app::run(argc, argv);
}
