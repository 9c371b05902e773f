using System.Text.Json;

namespace MlNetDeep.Tests.Notebooks;

/// <summary>One cell of a notebook.</summary>
/// <param name="Number">The 1-based position of the cell among all the notebook's cells (markdown included).</param>
/// <param name="CodeNumber">The 1-based position among the code cells, or 0 for a markdown or raw cell.</param>
/// <param name="Kind">The nbformat cell type: <c>code</c>, <c>markdown</c> or <c>raw</c>.</param>
/// <param name="Language">
/// The kernel the cell runs in, lower case (<c>csharp</c>, <c>fsharp</c>, <c>markdown</c>, …): a leading
/// <c>#!name</c> magic line wins, then the cell's metadata, then the notebook's default; null for non-code cells.
/// </param>
/// <param name="Source">The cell's source text, lines separated by <c>\n</c>.</param>
/// <param name="OutputCount">How many outputs the cell holds (a committed notebook holds none).</param>
/// <param name="ExecutionCount">The cell's execution count, or null when cleared.</param>
internal sealed record NotebookCell(
    int Number,
    int CodeNumber,
    string Kind,
    string? Language,
    string Source,
    int OutputCount,
    int? ExecutionCount)
{
    /// <summary>True for a code cell that runs in the C# kernel.</summary>
    public bool IsCSharp => Kind == "code" && Language == "csharp";

    /// <summary>How failure messages name the cell: <c>cell 3 (code cell 2)</c>.</summary>
    public string Label => CodeNumber > 0 && CodeNumber != Number ? $"cell {Number} (code cell {CodeNumber})" : $"cell {Number}";
}

/// <summary>A Jupyter notebook (nbformat 4) as written by Polyglot Notebooks, read with System.Text.Json.</summary>
internal sealed class NotebookDocument
{
    private static readonly Dictionary<string, string> KernelAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["csharp"] = "csharp",
        ["c#"] = "csharp",
        [".net-csharp"] = "csharp",
        ["fsharp"] = "fsharp",
        ["f#"] = "fsharp",
        [".net-fsharp"] = "fsharp",
        ["pwsh"] = "pwsh",
        ["powershell"] = "pwsh",
        [".net-pwsh"] = "pwsh",
    };

    private NotebookDocument(string path, int nbformat, string? kernelName, string? defaultLanguage, IReadOnlyList<NotebookCell> cells)
    {
        Path = path;
        NbFormat = nbformat;
        KernelName = kernelName;
        DefaultLanguage = defaultLanguage;
        Cells = cells;
    }

    /// <summary>The notebook's full path.</summary>
    public string Path { get; }

    /// <summary>The notebook's file name, as failure messages show it.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>The folder holding the notebook (Polyglot resolves relative <c>#r</c> paths from it).</summary>
    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>The nbformat major version.</summary>
    public int NbFormat { get; }

    /// <summary><c>metadata.kernelspec.name</c>, for example <c>.net-csharp</c>.</summary>
    public string? KernelName { get; }

    /// <summary>The language of cells that do not name one, lower case.</summary>
    public string? DefaultLanguage { get; }

    /// <summary>All cells, in order.</summary>
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>The code cells that run in the C# kernel, in order.</summary>
    public IEnumerable<NotebookCell> CSharpCells => Cells.Where(c => c.IsCSharp);

    /// <summary>Reads a notebook file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid nbformat 4 notebook; the message names the file.</exception>
    public static NotebookDocument Load(string path) => Parse(File.ReadAllText(path), System.IO.Path.GetFullPath(path));

    /// <summary>Parses notebook JSON.</summary>
    /// <exception cref="InvalidDataException">The text is not a valid nbformat 4 notebook; the message names <paramref name="path"/>.</exception>
    public static NotebookDocument Parse(string json, string path)
    {
        var name = System.IO.Path.GetFileName(path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name} is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{name}: the top level must be a JSON object (an nbformat 4 notebook).");
            }

            var nbformat = root.TryGetProperty("nbformat", out var f) && f.ValueKind == JsonValueKind.Number ? f.GetInt32() : 0;
            if (nbformat != 4)
            {
                throw new InvalidDataException($"{name}: nbformat is {(nbformat == 0 ? "missing" : nbformat)}; expected 4.");
            }

            var metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
            var kernelName = String(metadata, "kernelspec", "name");
            var defaultLanguage = Normalize(String(metadata, "polyglot_notebook", "kernelInfo", "defaultKernelName"))
                ?? Normalize(kernelName)
                ?? Normalize(String(metadata, "kernelspec", "language"))
                ?? Normalize(String(metadata, "language_info", "name"));

            if (!root.TryGetProperty("cells", out var cellsElement) || cellsElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{name}: there is no \"cells\" array.");
            }

            var cells = new List<NotebookCell>();
            var codeNumber = 0;
            foreach (var cell in cellsElement.EnumerateArray())
            {
                var number = cells.Count + 1;
                var kind = cell.TryGetProperty("cell_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
                if (kind is not ("code" or "markdown" or "raw"))
                {
                    throw new InvalidDataException($"{name}, cell {number}: cell_type is {(kind is null ? "missing" : $"'{kind}'")}; expected code, markdown or raw.");
                }

                var source = ReadSource(cell, name, number);
                string? language = null;
                var outputs = 0;
                int? executionCount = null;
                if (kind == "code")
                {
                    codeNumber++;
                    var cellMetadata = cell.TryGetProperty("metadata", out var cm) && cm.ValueKind == JsonValueKind.Object ? cm : default;
                    language = MagicLanguage(source)
                        ?? Normalize(String(cellMetadata, "polyglot_notebook", "kernelName"))
                        ?? Normalize(String(cellMetadata, "dotnet_interactive", "language"))
                        ?? defaultLanguage;
                    if (cell.TryGetProperty("outputs", out var o) && o.ValueKind == JsonValueKind.Array)
                    {
                        outputs = o.GetArrayLength();
                    }

                    if (cell.TryGetProperty("execution_count", out var ec) && ec.ValueKind == JsonValueKind.Number)
                    {
                        executionCount = ec.GetInt32();
                    }
                }

                cells.Add(new NotebookCell(number, kind == "code" ? codeNumber : 0, kind, language, source, outputs, executionCount));
            }

            return new NotebookDocument(path, nbformat, kernelName, defaultLanguage, cells);
        }
    }

    /// <summary>The kernel named by a leading <c>#!name</c> line, when it names a kernel rather than a magic command.</summary>
    internal static string? MagicLanguage(string source)
    {
        var first = source.Split('\n', 2)[0].Trim();
        if (!first.StartsWith("#!", StringComparison.Ordinal))
        {
            return null;
        }

        var word = first[2..].Split(' ', 2)[0];
        return KernelAliases.TryGetValue(word, out var kernel) ? kernel
            : word is "markdown" or "md" or "javascript" or "js" or "html" or "sql" or "kql" or "mermaid" or "value" or "http" ? word
            : null;
    }

    private static string? Normalize(string? kernel) =>
        kernel is null ? null : KernelAliases.TryGetValue(kernel, out var k) ? k : kernel.ToLowerInvariant();

    private static string ReadSource(JsonElement cell, string name, int number)
    {
        if (!cell.TryGetProperty("source", out var s))
        {
            throw new InvalidDataException($"{name}, cell {number}: there is no \"source\".");
        }

        var text = s.ValueKind switch
        {
            JsonValueKind.String => s.GetString()!,
            JsonValueKind.Array => string.Concat(s.EnumerateArray().Select(l => l.ValueKind == JsonValueKind.String
                ? l.GetString()
                : throw new InvalidDataException($"{name}, cell {number}: every \"source\" line must be a string."))),
            _ => throw new InvalidDataException($"{name}, cell {number}: \"source\" must be a string or an array of strings."),
        };
        return text.Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static string? String(JsonElement element, params string[] path)
    {
        foreach (var key in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(key, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }
}
