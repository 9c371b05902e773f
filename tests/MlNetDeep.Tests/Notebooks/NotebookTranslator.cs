using System.Text;
using System.Text.RegularExpressions;

namespace MlNetDeep.Tests.Notebooks;

/// <summary>Where a line of the generated program came from.</summary>
/// <param name="Cell">The notebook cell.</param>
/// <param name="Line">The 1-based line in the cell.</param>
internal sealed record SourceOrigin(NotebookCell Cell, int Line)
{
    public override string ToString() => $"{Cell.Label}, line {Line}";
}

/// <summary>A notebook turned into a .NET file-based app.</summary>
/// <param name="Text">The program text (one .cs file, run with <c>dotnet run file.cs</c>).</param>
/// <param name="Origins">For each line of <paramref name="Text"/> (index = line − 1), the cell line it came from, or null for a generated line.</param>
/// <param name="Cells">The C# cells the program runs, in order.</param>
internal sealed record NotebookProgram(string Text, IReadOnlyList<SourceOrigin?> Origins, IReadOnlyList<NotebookCell> Cells)
{
    /// <summary>The cell line that generated line <paramref name="line"/> (1-based) came from, or the nearest cell line before it.</summary>
    public SourceOrigin? OriginOf(int line)
    {
        for (var i = Math.Min(line, Origins.Count) - 1; i >= 0; i--)
        {
            if (Origins[i] is { } origin)
            {
                return origin;
            }
        }

        return null;
    }
}

/// <summary>A notebook the harness cannot turn into a program; the message names the notebook and the cell.</summary>
internal sealed class NotebookTranslationException(string message) : Exception(message);

/// <summary>
/// Turns the C# cells of a Polyglot notebook into one .NET 10 file-based app:
/// <list type="bullet">
/// <item><c>#r "nuget: Name, Version"</c> becomes <c>#:package Name@Version</c>; a version is required.</item>
/// <item>This repository's <c>src/MlNetDeep.Core</c> and <c>src/MlNetDeep.ML</c> are always referenced with <c>#:project</c>;
/// a <c>#r</c> of a DLL built by a project under <c>src/</c> (the notebook's set-up cell for Polyglot) becomes that project's
/// <c>#:project</c>; any other <c>#r</c> of a DLL fails.</item>
/// <item><c>using</c> directives move to the top of the file and type declarations to the end; the cells' statements run
/// in order, each cell announced on standard output (<c>##notebook-cell N</c>) so a failure names its cell.</item>
/// <item><c>display(x)</c> and <c>x.Display()</c> print <c>x</c>; a cell ending in an expression without a semicolon
/// displays its value, as Polyglot does.</item>
/// </list>
/// </summary>
internal static partial class NotebookTranslator
{
    /// <summary>The prefix of the marker line printed when a cell starts.</summary>
    public const string CellMarker = "##notebook-cell ";

    /// <summary>The marker line printed after the last cell.</summary>
    public const string DoneMarker = "##notebook-done";

    /// <summary>The marker line printed before an unhandled exception.</summary>
    public const string ExceptionMarker = "##notebook-exception";

    /// <summary>The projects under <c>src/</c> every notebook program references.</summary>
    public static readonly string[] AlwaysReferenced = ["MlNetDeep.Core", "MlNetDeep.ML"];

    /// <summary>Translates <paramref name="notebook"/>.</summary>
    /// <param name="notebook">The notebook.</param>
    /// <param name="repoRoot">The repository root (the folder holding MlNetDeep.sln).</param>
    /// <exception cref="NotebookTranslationException">A directive is not supported, or there is no C# cell.</exception>
    public static NotebookProgram Translate(NotebookDocument notebook, string repoRoot)
    {
        var cells = notebook.CSharpCells.ToList();
        if (cells.Count == 0)
        {
            throw new NotebookTranslationException($"{notebook.Name} has no C# code cell to run.");
        }

        var projects = new List<string>(AlwaysReferenced.Select(p => ProjectPath(repoRoot, p)));
        var packages = new List<string>();
        var usings = new List<(string Text, SourceOrigin Origin)>();
        var statements = new List<(string Text, SourceOrigin? Origin)>();
        var types = new List<(string Text, SourceOrigin Origin)>();

        foreach (var cell in cells)
        {
            var lines = cell.Source.Split('\n');
            var lexer = new CSharpLineLexer();
            var body = new List<(string Text, int Line, LexedLine Lex)>();
            var inType = false;
            var typeSawBrace = false;
            for (var i = 0; i < lines.Length; i++)
            {
                var text = lines[i];
                var lex = lexer.Next(text);
                var origin = new SourceOrigin(cell, i + 1);
                if (inType)
                {
                    types.Add((text, origin));
                    typeSawBrace |= lex.OpensBrace;
                    inType = !EndsType(lex, typeSawBrace);
                    continue;
                }

                var trimmed = text.Trim();
                if (lex.StartsInCode && trimmed.StartsWith('#'))
                {
                    if (i == 0 && NotebookDocument.MagicLanguage(cell.Source) is not null)
                    {
                        continue; // #!csharp
                    }

                    if (TranslateDirective(notebook, repoRoot, origin, trimmed, projects, packages))
                    {
                        continue;
                    }
                }

                if (lex.StartsInCode && lex.DepthAtStart == 0 && UsingDirective().IsMatch(lex.Code))
                {
                    usings.Add((text, origin));
                    continue;
                }

                if (lex.StartsInCode && lex.DepthAtStart == 0 && TypeDeclaration().IsMatch(lex.Code))
                {
                    types.Add((text, origin));
                    typeSawBrace = lex.OpensBrace;
                    inType = !EndsType(lex, typeSawBrace);
                    continue;
                }

                body.Add((text, i + 1, lex));
            }

            statements.Add(($"// {cell.Label}", null));
            statements.Add(($"__NotebookHarness.Cell({cell.Number});", null));
            AddWithAutoDisplay(cell, body, statements);
        }

        var output = new List<(string Text, SourceOrigin? Origin)>();
        foreach (var project in projects.Distinct(StringComparer.Ordinal))
        {
            output.Add(($"#:project {project}", null));
        }

        foreach (var package in packages.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            output.Add(($"#:package {package}", null));
        }

        output.Add(("#:property TreatWarningsAsErrors=false", null));

        // File-based apps default to PublishAot, which turns off dynamic code even under dotnet run; ML.NET needs it,
        // as does a Polyglot kernel, which JIT-compiles.
        output.Add(("#:property PublishAot=false", null));
        output.Add(("#:property InvariantGlobalization=true", null));
        output.Add(("#:property Nullable=disable", null));
        output.Add(($"// Generated from {notebook.Name} by MlNetDeep.Tests.Notebooks.NotebookTranslator; do not edit.", null));
        output.Add(("using System.Text;", null));
        output.Add(("using static __NotebookHarness;", null));
        output.AddRange(usings.Select(u => (u.Text, (SourceOrigin?)u.Origin)));
        output.Add(("__NotebookHarness.Start();", null));
        output.AddRange(statements);
        output.Add(("__NotebookHarness.Done();", null));
        output.AddRange(types.Select(t => (t.Text, (SourceOrigin?)t.Origin)));
        foreach (var line in HarnessSource.Split('\n'))
        {
            output.Add((line, null));
        }

        var sb = new StringBuilder();
        foreach (var (text, _) in output)
        {
            sb.Append(text).Append('\n');
        }

        return new NotebookProgram(sb.ToString(), output.Select(o => o.Origin).ToList(), cells);
    }

    /// <summary>The <c>src/&lt;name&gt;/&lt;name&gt;.csproj</c> path of a repository project.</summary>
    public static string ProjectPath(string repoRoot, string name) => Path.Combine(repoRoot, "src", name, name + ".csproj");

    /// <summary>A type declaration ends where its braces close, or at a top-level ';' before any brace (record R(int X);).</summary>
    private static bool EndsType(LexedLine lex, bool sawBrace) =>
        lex.EndsInCode && lex.DepthAtEnd == 0 && (sawBrace || lex.Code.EndsWith(';'));

    private static bool TranslateDirective(
        NotebookDocument notebook, string repoRoot, SourceOrigin origin, string line, List<string> projects, List<string> packages)
    {
        var where = $"{notebook.Name} {origin}";
        if (line.StartsWith("#!", StringComparison.Ordinal))
        {
            var word = line[2..].Split(' ', 2)[0];
            if (word == "time")
            {
                return true;
            }

            throw new NotebookTranslationException(
                $"{where}: the magic command '#!{word}' is not supported by the notebook harness; only #!csharp (first line) and #!time are.");
        }

        if (line.StartsWith("#i ", StringComparison.Ordinal) || line.StartsWith("#load ", StringComparison.Ordinal))
        {
            throw new NotebookTranslationException(
                $"{where}: '{line}' is not supported by the notebook harness; use #r \"nuget: Name, Version\" with the machine's own package sources.");
        }

        if (!line.StartsWith("#r ", StringComparison.Ordinal))
        {
            return false; // #nullable, #pragma, #region … are C#.
        }

        var match = ReferenceDirective().Match(line);
        if (!match.Success)
        {
            throw new NotebookTranslationException($"{where}: cannot read the directive '{line}'; expected #r \"nuget: Name, Version\" or #r \"path.dll\".");
        }

        var target = match.Groups["target"].Value.Trim();
        if (target.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = target["nuget:".Length..].Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new NotebookTranslationException(
                    $"{where}: '{line}' must pin a version, as in #r \"nuget: {(parts[0].Length > 0 ? parts[0] : "Name")}, 1.2.3\", so every run uses the same package.");
            }

            packages.Add($"{parts[0]}@{parts[1]}");
            return true;
        }

        var path = Path.GetFullPath(Path.Combine(notebook.Directory, target));
        var src = Path.Combine(repoRoot, "src") + Path.DirectorySeparatorChar;
        if (path.StartsWith(src, StringComparison.Ordinal) && path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            var project = path[src.Length..].Split(Path.DirectorySeparatorChar)[0];
            var csproj = ProjectPath(repoRoot, project);
            var segments = path[src.Length..].Split(Path.DirectorySeparatorChar);
            if (File.Exists(csproj) && segments.Length >= 3 && segments[1] == "bin" && Path.GetFileNameWithoutExtension(path) == project)
            {
                projects.Add(csproj);
                return true;
            }
        }

        throw new NotebookTranslationException(
            $"{where}: '{line}' references a DLL by path, which the notebook harness does not support. Reference a package with " +
            "#r \"nuget: Name, Version\", or this repository's projects: the harness always references src/MlNetDeep.Core and " +
            "src/MlNetDeep.ML, and accepts #r of a DLL built under src/<Project>/bin/ as that project.");
    }

    /// <summary>Adds a cell's statements; when its last statement is an expression without a semicolon, displays its value.</summary>
    private static void AddWithAutoDisplay(NotebookCell cell, List<(string Text, int Line, LexedLine Lex)> body, List<(string Text, SourceOrigin? Origin)> output)
    {
        var last = body.FindLastIndex(b => b.Lex.Code.Length > 0);
        var expression = last >= 0
            && body[last].Lex.EndsInCode
            && body[last].Lex.DepthAtEnd == 0
            && !body[last].Lex.Code.StartsWith('#')
            && !body[last].Lex.Code.EndsWith(';')
            && !body[last].Lex.Code.EndsWith('}')
            && !body[last].Lex.Code.EndsWith('{');
        var first = last;
        if (expression)
        {
            // Walk back to the end of the previous statement: a top-level line ending in ';' or '}' (unless the next line
            // continues the expression, as in "new[] { 1, 2 }" followed by ".Select(…)"), or a directive.
            for (var j = last - 1; j >= 0; j--)
            {
                var lex = body[j].Lex;
                if (lex.Code.Length == 0)
                {
                    continue;
                }

                var boundary = lex.EndsInCode && lex.DepthAtEnd == 0 && (lex.Code.EndsWith(';') || lex.Code.StartsWith('#')
                    || (lex.Code.EndsWith('}') && !ContinuesExpression(body[first].Lex.Code)));
                if (boundary)
                {
                    break;
                }

                first = j;
            }
        }

        for (var i = 0; i < body.Count; i++)
        {
            if (expression && i == first)
            {
                var isAsync = body.Skip(first).Take(last - first + 1).Any(b => AwaitKeyword().IsMatch(b.Lex.Code));
                output.Add((isAsync ? "await __NotebookHarness.AutoDisplayAsync(async () =>" : "__NotebookHarness.AutoDisplay(() =>", null));
            }

            output.Add((body[i].Text, new SourceOrigin(cell, body[i].Line)));
            if (expression && i == last)
            {
                output.Add((");", null));
            }
        }
    }

    private static bool ContinuesExpression(string code) =>
        code.Length > 0 && code[0] is '.' or '?' or ')' or ']' or ',' or '+' or '-' or '*' or '/' or '%' or '&' or '|' or '^' or ':' or '=' or '<' or '>';

    [GeneratedRegex(@"^#r\s+""(?<target>[^""]*)""\s*(//.*)?$")]
    private static partial Regex ReferenceDirective();

    [GeneratedRegex(@"^(global\s+)?using\s+(static\s+)?([A-Za-z_]\w*\s*=\s*)?[A-Za-z_][\w.]*(<[^;]*>)?\s*;$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^(\[[^\]]*\]\s*)*((public|internal|private|protected|static|sealed|abstract|partial|readonly|ref|unsafe|file|new)\s+)*(class|struct|interface|enum|record|delegate)\s+[A-Za-z_@]")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\bawait\b")]
    private static partial Regex AwaitKeyword();

    /// <summary>The helpers every generated program ends with.</summary>
    private const string HarnessSource = """
        /// <summary>Stands in for Polyglot's display helpers and announces each cell.</summary>
        internal static class __NotebookHarness
        {
            public static void Start()
            {
                AppDomain.CurrentDomain.UnhandledException += (_, e) =>
                {
                    Console.Out.Flush();
                    Console.Error.WriteLine("##notebook-exception");
                    Console.Error.WriteLine(e.ExceptionObject);
                    Console.Error.Flush();
                    Environment.Exit(70);
                };
            }

            public static void Cell(int number) => Console.WriteLine("##notebook-cell " + number);

            public static void Done() => Console.WriteLine("##notebook-done");

            public static DisplayedValue display(object value, params string[] mimeTypes)
            {
                Console.WriteLine(Format(value));
                return new DisplayedValue();
            }

            public static DisplayedValue Display(this object value, params string[] mimeTypes) => display(value, mimeTypes);

            public static void AutoDisplay(Action expression) => expression();

            public static void AutoDisplay<T>(Func<T> expression) => Console.WriteLine(Format(expression()));

            public static Task AutoDisplayAsync(Func<Task> expression) => expression();

            public static async Task AutoDisplayAsync<T>(Func<Task<T>> expression) => Console.WriteLine(Format(await expression()));

            public static string Format(object value)
            {
                switch (value)
                {
                    case null:
                        return "<null>";
                    case string s:
                        return s;
                    case IFormattable f:
                        return f.ToString(null, System.Globalization.CultureInfo.InvariantCulture);
                    case System.Collections.IDictionary d:
                    {
                        var items = new List<string>();
                        foreach (System.Collections.DictionaryEntry entry in d)
                        {
                            items.Add(Format(entry.Key) + ": " + Format(entry.Value));
                        }

                        return "{" + string.Join(", ", items) + "}";
                    }

                    case System.Collections.IEnumerable e:
                    {
                        var items = new List<string>();
                        var more = 0;
                        foreach (var item in e)
                        {
                            if (items.Count < 20)
                            {
                                items.Add(Format(item));
                            }
                            else
                            {
                                more++;
                            }
                        }

                        return "[" + string.Join(", ", items) + (more > 0 ? $", … ({more} more)" : "") + "]";
                    }

                    default:
                        return value.ToString();
                }
            }

            public sealed class DisplayedValue
            {
                public void Update(object value) => Console.WriteLine(Format(value));
            }
        }
        """;
}
