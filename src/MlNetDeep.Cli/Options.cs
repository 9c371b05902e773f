using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MlNetDeep.Cli;

/// <summary>Options whose values are checked while parsing, with messages that name the option, the allowed range and the value.</summary>
internal static class Options
{
    public static Option<int> Int(string name, string description, int fallback, int min, int max) => new(name)
    {
        Description = $"{description} ({min}–{max}; default {fallback})",
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            {
                r.AddError($"{name} must be a whole number from {min} to {max}; got '{text}'.");
            }

            return v;
        },
    };

    /// <summary>A number in a range; <paramref name="range"/> says it in words for the message, such as "in (0, 1]".</summary>
    public static Option<float> Float(string name, string description, float fallback, Func<float, bool> allowed, string range) => new(name)
    {
        Description = $"{description} ({range}; default {fallback.ToString(CultureInfo.InvariantCulture)})",
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !float.IsFinite(v) || !allowed(v))
            {
                r.AddError($"{name} must be a number {range}; got '{text}'.");
            }

            return v;
        },
    };

    public static Option<string> Choice(string name, string description, string? fallback, IReadOnlyList<string> allowed)
    {
        var option = new Option<string>(name)
        {
            Description = $"{description}: {string.Join(", ", allowed)}{(fallback is null ? string.Empty : $" (default {fallback})")}",
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;
                if (!allowed.Contains(text))
                {
                    r.AddError($"{name} '{text}' is unknown; expected one of {string.Join(", ", allowed)}.");
                }

                return text;
            },
        };
        if (fallback is not null)
        {
            option.DefaultValueFactory = _ => fallback;
        }

        return option;
    }

    /// <summary>A comma-separated list of whole numbers ≥ 1, such as 256,128.</summary>
    public static Option<int[]?> Sizes(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            var values = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1 || values[i] > 100_000)
                {
                    r.AddError($"{name} must be layer sizes from 1 to 100000 separated by commas, such as 256,128; got '{text}'.");
                    return null;
                }
            }

            return values;
        },
    };

    /// <summary>A file to write: its folder must exist and accept a new file, checked before any work.</summary>
    public static Option<string?> OutputFile(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;
            if (WriteProblem(text) is { } problem)
            {
                r.AddError($"{name} '{text}': {problem}");
            }

            return text;
        },
    };

    /// <summary>A chart file to write: writable, ending in .svg or .png (the chart's format).</summary>
    public static Option<string?> ChartFile(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;
            if (WriteProblem(text) is { } problem)
            {
                r.AddError($"{name} '{text}': {problem}");
            }
            else if (Path.GetExtension(text).ToLowerInvariant() is not (".svg" or ".png"))
            {
                r.AddError($"{name} '{text}': a chart is written as .svg or .png; the file's extension is '{Path.GetExtension(text)}'.");
            }

            return text;
        },
    };

    /// <summary>An existing file or folder to read (or "-" for standard input when <paramref name="stdin"/>).</summary>
    public static Option<string> InputPath(string name, string description, bool required, bool stdin = false) => new(name)
    {
        Description = description,
        Required = required,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : string.Empty;
            if (!(stdin && text == "-") && !File.Exists(text) && !Directory.Exists(text))
            {
                r.AddError($"{name} '{text}': no such file or folder.");
            }

            return text;
        },
    };

    /// <summary>Why a file cannot be written at <paramref name="path"/>, or null.</summary>
    public static string? WriteProblem(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "the path is empty.";
        }

        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return e.Message;
        }

        if (Directory.Exists(full))
        {
            return "is a folder; expected a file name.";
        }

        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            return $"the folder '{folder}' does not exist.";
        }

        var probe = Path.Combine(folder, $".mlnetdeep-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the folder '{folder}' is not writable ({e.Message})";
        }
    }
}
