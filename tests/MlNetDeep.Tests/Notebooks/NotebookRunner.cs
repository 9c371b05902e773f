using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MlNetDeep.Tests.Notebooks;

/// <summary>The outcome of running a notebook.</summary>
/// <param name="Failure">Why the notebook failed, naming the notebook and the cell; null when every cell ran.</param>
/// <param name="Output">What the cells printed (the harness's marker lines removed).</param>
/// <param name="ProgramPath">The generated file-based app.</param>
/// <param name="BuildTime">How long restoring and compiling took.</param>
/// <param name="RunTime">How long the cells ran.</param>
internal sealed record NotebookRunResult(string? Failure, string Output, string ProgramPath, TimeSpan BuildTime, TimeSpan RunTime);

/// <summary>
/// Runs a notebook's C# cells: translates it (<see cref="NotebookTranslator"/>) into a file-based app in a temporary
/// folder outside the repository (so the repository's Directory.Build.props does not apply to it), compiles it once
/// with <c>dotnet build file.cs</c>, then runs it with <c>dotnet run --no-build file.cs</c> from the repository root.
/// Compiler errors and exceptions are mapped back to the notebook's cells.
/// </summary>
internal static partial class NotebookRunner
{
    /// <summary>The configuration the referenced projects are built in: the test assembly's own, so they are already up to date.</summary>
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>Runs <paramref name="notebook"/>.</summary>
    /// <exception cref="NotebookTranslationException">The notebook uses a directive the harness does not support.</exception>
    public static NotebookRunResult Run(NotebookDocument notebook, string repoRoot, TimeSpan buildTimeout, TimeSpan runTimeout)
    {
        var program = NotebookTranslator.Translate(notebook, repoRoot);
        var programPath = WriteProgram(notebook, program);

        var build = Dotnet(
            ["build", programPath, "-c", Configuration, "--disable-build-servers", "-nologo", "-v:q", "-tl:off", "-clp:NoSummary"],
            Path.GetDirectoryName(programPath)!,
            buildTimeout);
        if (build.TimedOut)
        {
            return new NotebookRunResult(
                $"{notebook.Name} did not compile within {buildTimeout.TotalMinutes:0.#} minutes.\n{Tail(build.Output)}", string.Empty, programPath, build.Elapsed, TimeSpan.Zero);
        }

        if (build.ExitCode != 0)
        {
            return new NotebookRunResult(CompileFailure(notebook, program, programPath, build.Output), string.Empty, programPath, build.Elapsed, TimeSpan.Zero);
        }

        var run = Dotnet(["run", "--no-build", "-c", Configuration, programPath], repoRoot, runTimeout);
        var output = string.Join('\n', run.Stdout.Split('\n').Where(l => !l.StartsWith("##notebook-", StringComparison.Ordinal))).TrimEnd();
        var lastCell = run.Stdout.Split('\n')
            .Where(l => l.StartsWith(NotebookTranslator.CellMarker, StringComparison.Ordinal))
            .Select(l => int.Parse(l[NotebookTranslator.CellMarker.Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .Select(n => (int?)n)
            .LastOrDefault();
        var cell = lastCell is { } n ? notebook.Cells[n - 1] : null;
        var where = cell is null ? $"{notebook.Name}, before its first cell" : $"{notebook.Name} {cell.Label}";
        string? failure = null;
        if (run.TimedOut)
        {
            failure = $"{where} did not finish within {runTimeout.TotalMinutes:0.#} minutes.";
        }
        else if (run.ExitCode != 0)
        {
            var error = MapStackTrace(program, programPath, notebook, ExceptionText(run.Stderr));
            failure = $"{where} failed (exit code {run.ExitCode}):\n{error}";
        }
        else if (!run.Stdout.Split('\n').Any(l => l.TrimEnd() == NotebookTranslator.DoneMarker))
        {
            failure = $"{where}: the program stopped before the last cell finished (a top-level return or Environment.Exit?).";
        }

        if (failure is not null)
        {
            failure += $"\n--- output of {notebook.Name} (last lines) ---\n{Tail(output)}\n--- program: {programPath} ---";
        }

        return new NotebookRunResult(failure, output, programPath, build.Elapsed, run.Elapsed);
    }

    /// <summary>Writes the program to a stable folder per notebook under the temporary folder (stable, so rebuilds are incremental).</summary>
    private static string WriteProgram(NotebookDocument notebook, NotebookProgram program)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(notebook.Path)))[..12];
        var stem = SafeName().Replace(Path.GetFileNameWithoutExtension(notebook.Path), "_");
        var folder = Path.Combine(Path.GetTempPath(), "mlnetdeep-notebooks", $"{stem}-{hash}");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"Notebook_{stem}.cs");
        if (!File.Exists(path) || File.ReadAllText(path) != program.Text)
        {
            File.WriteAllText(path, program.Text);
        }

        return path;
    }

    private static string CompileFailure(NotebookDocument notebook, NotebookProgram program, string programPath, string buildOutput)
    {
        var errors = new List<string>();
        foreach (var line in buildOutput.Split('\n'))
        {
            var m = CompilerMessage().Match(line.TrimEnd());
            if (!m.Success || m.Groups["severity"].Value != "error")
            {
                continue;
            }

            var file = m.Groups["file"].Value;
            var text = $"error {m.Groups["code"].Value}: {m.Groups["message"].Value}";
            string entry;
            if (PathsEqual(file, programPath))
            {
                var generatedLine = int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
                var origin = program.OriginOf(generatedLine);
                var cellLine = origin is null ? null : origin.Cell.Source.Split('\n')[origin.Line - 1].Trim();
                entry = origin is null
                    ? $"{notebook.Name}, generated line {generatedLine}: {text}"
                    : $"{notebook.Name} {origin}: {text}\n    {cellLine}";
            }
            else
            {
                entry = $"{file}({m.Groups["line"].Value},{m.Groups["column"].Value}): {text}";
            }

            if (!errors.Contains(entry))
            {
                errors.Add(entry);
            }
        }

        return errors.Count > 0
            ? $"{notebook.Name} does not compile:\n{string.Join('\n', errors)}\n--- program: {programPath} ---"
            : $"{notebook.Name} does not compile, and the build printed no compiler error:\n{Tail(buildOutput)}\n--- program: {programPath} ---";
    }

    /// <summary>Replaces "in /tmp/…/Notebook_x.cs:line 57" in a stack trace with the notebook cell and line.</summary>
    private static string MapStackTrace(NotebookProgram program, string programPath, NotebookDocument notebook, string text) =>
        StackTraceLine().Replace(text, m =>
        {
            if (!PathsEqual(m.Groups["file"].Value, programPath))
            {
                return m.Value;
            }

            var origin = program.OriginOf(int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture));
            return origin is null ? m.Value : $" in {notebook.Name} {origin}";
        });

    private static string ExceptionText(string stderr)
    {
        var marker = stderr.IndexOf(NotebookTranslator.ExceptionMarker, StringComparison.Ordinal);
        return (marker >= 0 ? stderr[(marker + NotebookTranslator.ExceptionMarker.Length)..] : stderr).Trim();
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static string Tail(string text, int lines = 40)
    {
        var all = text.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    private sealed record ProcessResult(int ExitCode, bool TimedOut, string Stdout, string Stderr, string Output, TimeSpan Elapsed);

    /// <summary>Runs the dotnet host that runs these tests, capturing its output, and kills it (and its children) on timeout.</summary>
    private static ProcessResult Dotnet(IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var start = new ProcessStartInfo(string.IsNullOrEmpty(host) || !File.Exists(host) ? "dotnet" : host)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs inside an MSBuild/VSTest environment; the child build must start from a clean one.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var both = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (both)
                {
                    stdout.Append(e.Data).Append('\n');
                    both.Append(e.Data).Append('\n');
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (both)
                {
                    stderr.Append(e.Data).Append('\n');
                    both.Append(e.Data).Append('\n');
                }
            }
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        watch.Stop();
        lock (both)
        {
            return new ProcessResult(exited ? process.ExitCode : -1, !exited, stdout.ToString(), stderr.ToString(), both.ToString(), watch.Elapsed);
        }
    }

    [GeneratedRegex(@"^(?<file>.+?)\((?<line>\d+),(?<column>\d+)\): (?<severity>error|warning) (?<code>[A-Z]+\d+): (?<message>.*?)( \[[^\]]*\])?$")]
    private static partial Regex CompilerMessage();

    [GeneratedRegex(@" in (?<file>[^\n]+?):line (?<line>\d+)")]
    private static partial Regex StackTraceLine();

    [GeneratedRegex(@"[^A-Za-z0-9_]")]
    private static partial Regex SafeName();
}
