using System.Text;

namespace MlNetDeep.Tests.Notebooks;

/// <summary>What <see cref="CSharpLineLexer"/> found on one line.</summary>
/// <param name="StartsInCode">The line starts in code, not inside a string or a block comment.</param>
/// <param name="DepthAtStart">The top-level brace depth at the start of the line.</param>
/// <param name="DepthAtEnd">The top-level brace depth at the end of the line.</param>
/// <param name="EndsInCode">The line ends in code, not inside a string or a block comment.</param>
/// <param name="Code">The line without its comments (string literals kept), trimmed.</param>
/// <param name="OpensBrace">The line holds a top-level <c>{</c>.</param>
internal readonly record struct LexedLine(bool StartsInCode, int DepthAtStart, int DepthAtEnd, bool EndsInCode, string Code, bool OpensBrace);

/// <summary>
/// Just enough of a C# lexer to work on notebook cells line by line: it tracks comments, string, verbatim,
/// raw and interpolated literals (with nested holes) and the brace depth, across lines.
/// </summary>
internal sealed class CSharpLineLexer
{
    private readonly Stack<Frame> _frames = new();
    private bool _inBlockComment;

    public CSharpLineLexer() => _frames.Push(Frame.Code());

    private bool InCode => !_inBlockComment && _frames.Count == 1;

    private int RootDepth
    {
        get
        {
            var frames = _frames.ToArray();
            return frames[^1].Depth;
        }
    }

    /// <summary>Lexes the next line.</summary>
    public LexedLine Next(string line)
    {
        var startsInCode = InCode;
        var depthAtStart = RootDepth;
        var code = new StringBuilder(line.Length);
        var opensBrace = false;
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (_inBlockComment)
            {
                var end = line.IndexOf("*/", i, StringComparison.Ordinal);
                if (end < 0)
                {
                    i = line.Length;
                }
                else
                {
                    _inBlockComment = false;
                    code.Append(' ');
                    i = end + 2;
                }

                continue;
            }

            var top = _frames.Peek();
            if (!top.IsString)
            {
                if (c == '/' && i + 1 < line.Length && line[i + 1] == '/')
                {
                    break;
                }

                if (c == '/' && i + 1 < line.Length && line[i + 1] == '*')
                {
                    _inBlockComment = true;
                    i += 2;
                    continue;
                }

                if (c is '"' or '$' or '@' && TryOpenString(line, ref i, code))
                {
                    continue;
                }

                if (c == '\'')
                {
                    var j = i + 1;
                    while (j < line.Length && line[j] != '\'')
                    {
                        j += line[j] == '\\' ? 2 : 1;
                    }

                    j = Math.Min(j + 1, line.Length);
                    code.Append(line, i, j - i);
                    i = j;
                    continue;
                }

                if (c == '{')
                {
                    top.Depth++;
                    opensBrace |= _frames.Count == 1;
                }
                else if (c == '}')
                {
                    if (top.Depth == 0 && _frames.Count > 1)
                    {
                        _frames.Pop();
                    }
                    else
                    {
                        top.Depth = Math.Max(0, top.Depth - 1);
                    }
                }

                code.Append(c);
                i++;
                continue;
            }

            code.Append(c);
            if (top.RawQuotes > 0)
            {
                if (c == '"' && CountRun(line, i, '"') >= top.RawQuotes)
                {
                    code.Append(line, i + 1, top.RawQuotes - 1);
                    i += top.RawQuotes;
                    _frames.Pop();
                }
                else
                {
                    i++;
                }

                continue;
            }

            if (c == '\\' && !top.Verbatim)
            {
                if (i + 1 < line.Length)
                {
                    code.Append(line[i + 1]);
                }

                i += 2;
                continue;
            }

            if (c == '"')
            {
                if (top.Verbatim && i + 1 < line.Length && line[i + 1] == '"')
                {
                    code.Append('"');
                    i += 2;
                    continue;
                }

                _frames.Pop();
                i++;
                continue;
            }

            if (top.Interpolated && (c == '{' || c == '}'))
            {
                if (i + 1 < line.Length && line[i + 1] == c)
                {
                    code.Append(c);
                    i += 2;
                    continue;
                }

                if (c == '{')
                {
                    _frames.Push(Frame.Code());
                }
            }

            i++;
        }

        // A regular (non-verbatim, non-raw) string cannot span lines: recover by closing it.
        var frames = _frames.ToArray();
        for (var k = frames.Length - 1; k >= 0; k--)
        {
            if (frames[k].IsString && !frames[k].Verbatim && frames[k].RawQuotes == 0)
            {
                while (_frames.Count > frames.Length - k)
                {
                    _frames.Pop();
                }

                _frames.Pop();
                break;
            }
        }

        return new LexedLine(startsInCode, depthAtStart, RootDepth, InCode, code.ToString().Trim(), opensBrace);
    }

    private static int CountRun(string line, int start, char c)
    {
        var n = 0;
        while (start + n < line.Length && line[start + n] == c)
        {
            n++;
        }

        return n;
    }

    private bool TryOpenString(string line, ref int i, StringBuilder code)
    {
        var j = i;
        var dollars = 0;
        var verbatim = false;
        while (j < line.Length && line[j] is '$' or '@')
        {
            dollars += line[j] == '$' ? 1 : 0;
            verbatim |= line[j] == '@';
            j++;
        }

        if (j >= line.Length || line[j] != '"')
        {
            return false;
        }

        var quotes = CountRun(line, j, '"');
        code.Append(line, i, j - i + Math.Min(quotes, 3));
        if (quotes >= 3)
        {
            _frames.Push(new Frame { IsString = true, RawQuotes = quotes, Interpolated = dollars > 0 });
            code.Append(line, j + 3, quotes - 3);
            i = j + quotes;
            return true;
        }

        if (quotes == 2)
        {
            // "" or @"" is an empty string.
            i = j + 2;
            return true;
        }

        _frames.Push(new Frame { IsString = true, Verbatim = verbatim, Interpolated = dollars > 0 });
        i = j + 1;
        return true;
    }

    private sealed class Frame
    {
        public bool IsString { get; init; }

        public bool Verbatim { get; init; }

        public bool Interpolated { get; init; }

        public int RawQuotes { get; init; }

        public int Depth { get; set; }

        public static Frame Code() => new();
    }
}
