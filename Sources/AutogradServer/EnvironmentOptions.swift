import Foundation

/// Every long option of `autograd-server` can also come from the environment (for
/// containers): `--max-body-bytes` is `AUTOGRAD_MAX_BODY_BYTES`, and so on — `AUTOGRAD_`,
/// then the option's name in upper case with `-` as `_`. A flag on the command line wins
/// over its variable. (`AUTOGRAD_API_KEY`, the key itself rather than a file, has no flag:
/// a key on the command line would show in `ps`.)
public enum EnvironmentOptions {
    /// `--max-body-bytes` → `AUTOGRAD_MAX_BODY_BYTES`.
    public static func variable(for option: String) -> String {
        "AUTOGRAD_" + option.drop(while: { $0 == "-" }).uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The arguments the environment contributes, to be placed before the command line's
    /// own (the argument parser keeps the last value of an option given twice, so flags
    /// win). Only the listed `options` are read; an empty variable counts as unset.
    public static func arguments(options: [String], environment: [String: String]) -> [String] {
        options.flatMap { option -> [String] in
            guard let value = environment[variable(for: option)], !value.isEmpty else { return [] }
            return [option, value]
        }
    }
}
