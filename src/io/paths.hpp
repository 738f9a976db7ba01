// The paths a user gives: an output that must not clobber anything, an input that must exist. Shared by
// every subcommand and the Python module.
#pragma once

#include <string>

namespace lrf {

// The output must be a non-empty path, new (or, with `overwrite`, a regular file) in a folder that exists
// and is writable; else InputError. Nothing at the path (not even a dangling link) is replaced without
// `overwrite`, and nothing but a regular file with it.
void check_output(const std::string &path, bool overwrite);

// An input file must exist; else InputError "LABEL: cannot open: REASON", LABEL being e.g. "--data PATH"
// or just "PATH". What it holds is the reader's to check.
void check_input(const std::string &label, const std::string &path);

} // namespace lrf
