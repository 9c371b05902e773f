using Spectre.Console;

namespace MlNetDeep.Cli;

/// <summary>
/// Where the commands write: Spectre.Console with colours and live progress bars on a terminal, plain text without any
/// escape sequence when the output is redirected (a pipe or a file).
/// </summary>
internal sealed class Terminal
{
    public Terminal(TextWriter output, bool redirected)
    {
        Output = output;
        Redirected = redirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(output),
        });
    }

    /// <summary>The plain writer.</summary>
    public TextWriter Output { get; }

    /// <summary>True when the output goes to a pipe or a file.</summary>
    public bool Redirected { get; }

    /// <summary>The Spectre console (tables, progress).</summary>
    public IAnsiConsole Console { get; }

    public void Line(string text) => Output.WriteLine(text);
}
