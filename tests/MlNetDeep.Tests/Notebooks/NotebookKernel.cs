using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MlNetDeep.Tests.Notebooks;

/// <summary>
/// Runs a notebook in the real .NET Interactive kernel through dotnet-repl (pinned in the repository's tool manifest,
/// .config/dotnet-tools.json): <c>dotnet tool run dotnet-repl --run NOTEBOOK --exit-after-run --output-format trx</c> from
/// notebooks/ (the notebooks' <c>#r</c> paths are relative to it). The trx holds one result per cell; the executed
/// notebook itself is not written back.
/// </summary>
internal static class NotebookKernel
{
    private static readonly Lazy<string> ToolRestore = new(() => Run(NotebookTests.RepoRoot, TimeSpan.FromMinutes(5), "tool", "restore").Output);

    /// <summary>Runs <paramref name="notebook"/> and returns its cells' results in order.</summary>
    public static IReadOnlyList<CellResult> Run(string notebook, TimeSpan timeout, out string console)
    {
        _ = ToolRestore.Value;
        var trx = Path.Combine(Path.GetTempPath(), $"mlnetdeep-notebook-{Guid.NewGuid():N}.trx");
        try
        {
            var (exit, output) = Run(Path.GetDirectoryName(notebook)!, timeout,
                "tool", "run", "dotnet-repl", "--run", notebook, "--exit-after-run", "--output-format", "trx", "--output-path", trx);
            console = $"dotnet-repl exited with {exit}\n{output}";
            if (!File.Exists(trx))
            {
                return [];
            }

            // dotnet-repl 0.3.259 declares utf-16 but writes UTF-8.
            var text = Encoding.UTF8.GetString(File.ReadAllBytes(trx)).Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
            XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
            return [.. XDocument.Parse(text).Descendants(ns + "UnitTestResult").Select(r => new CellResult(
                (string?)r.Attribute("testName") ?? "?",
                (string?)r.Attribute("outcome") ?? "?",
                r.Descendants(ns + "Message").FirstOrDefault()?.Value,
                r.Descendants(ns + "StdOut").FirstOrDefault()?.Value ?? string.Empty))];
        }
        finally
        {
            File.Delete(trx);
        }
    }

    /// <summary>
    /// The pictures in a cell's displayed output (HTML as the kernel formatted it): each PNG data URI, decoded (its size),
    /// and each inline SVG element, parsed. Throws when one is broken, naming it.
    /// </summary>
    public static IReadOnlyList<string> Pictures(string output)
    {
        var pictures = new List<string>();
        foreach (Match m in Regex.Matches(output, "data:image/png;base64,([A-Za-z0-9+/=]+)"))
        {
            using var bitmap = SkiaSharp.SKBitmap.Decode(Convert.FromBase64String(m.Groups[1].Value))
                ?? throw new InvalidDataException($"A displayed PNG does not decode ({m.Groups[1].Length} base64 characters).");
            pictures.Add($"PNG {bitmap.Width} × {bitmap.Height}");
        }

        foreach (Match m in Regex.Matches(output, "<svg[\\s\\S]*?</svg>"))
        {
            var svg = XDocument.Parse(m.Value).Root!;
            pictures.Add($"SVG {(string?)svg.Attribute("width")} × {(string?)svg.Attribute("height")}");
        }

        return pictures;
    }

    private static (int ExitCode, string Output) Run(string folder, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // Plain output: no ANSI colours in what the test prints.
        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"timed out after {timeout}\n{stdout.Result}{stderr.Result}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>One cell's result: its name (number and first line), Passed or Failed, the error, and what it printed.</summary>
    internal sealed record CellResult(string Name, string Outcome, string? Error, string Output);
}
