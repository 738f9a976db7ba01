// Options typed at the edge: the validators and parsers every subcommand shares. Past the command layer
// no option is a string: enums, numbers, Storage, FactorSpec, Smoothing, Shard.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace lrf {

// CLI11 validators whose messages name the value: "--trials: 'abc' is not a whole number >= 1".
CLI::Validator finite_number(const char *what);
CLI::Validator number_above(double lo); // finite and > lo
CLI::Validator count_at_least(long long lo);
CLI::Validator non_empty_path(); // "--data: the path is empty"

// An option whose text `parse` reads into `value`: parse returns "" or what is wrong, which becomes
// "--name: what is wrong" at parse time. The help shows the form `form` ("K/N") and the default `shown`.
template <class T, class Parse>
CLI::Option *add_parsed(CLI::App &app, const std::string &names, T &value, Parse parse,
                        const std::string &form, const std::string &help, const std::string &shown) {
  return app
      .add_option_function<std::string>(
          names, [&value, parse](const std::string &text) { parse(text, value); }, help)
      ->check(CLI::Validator(
          [&value, parse](std::string &text) {
            T scratch = value; // the check only looks; the callback above sets the value
            return parse(text, scratch);
          },
          form))
      ->default_str(shown);
}

// An option that takes one of the names of `choices` ("--scan: sideways not in {linear,exp,both}") and
// sets `value` to its value.
template <class E>
CLI::Option *add_choice(CLI::App &app, const std::string &names, E &value,
                        const std::vector<std::pair<std::string, E>> &choices, const std::string &help) {
  std::vector<std::string> keys;
  std::string shown;
  for (const auto &[name, v] : choices) {
    keys.push_back(name);
    if (v == value)
      shown = name;
  }
  return app
      .add_option_function<std::string>(
          names,
          [&value, choices](const std::string &text) {
            for (const auto &[name, v] : choices)
              if (name == text)
                value = v;
          },
          help)
      ->check(CLI::IsMember(keys))
      ->default_str(shown);
}

} // namespace lrf
