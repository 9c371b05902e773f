using System.CommandLine;
using System.CommandLine.Help;
using MlNetDeep.Cli.Commands;
using MlNetDeep.Training;

namespace MlNetDeep.Cli;

/// <summary>
/// <c>mlnetdeep</c>: the commands, parsed by System.CommandLine. Every option is checked while parsing, before any work;
/// an error is one line on standard error naming the option, what it allows and what it got (no stack trace, no usage:
/// <c>--help</c> shows that), with exit code 2 for a bad command line and 1 for a failure while working.
/// </summary>
internal static class CliApp
{
    public static int Run(string[] args, TextWriter output, TextWriter error, bool redirected)
    {
        var console = new Terminal(output, redirected);
        var root = new RootCommand("mlnetdeep: train the networks of the classic deep-learning curriculum on your own data inside ML.NET pipelines.")
        {
            TrainCommand.Create(console),
            EvaluateCommand.Create(console),
            PredictCommand.Create(console),
            ExperimentCommand.Create(console),
            AugmentPreviewCommand.Create(console),
            ExportCommand.Create(console),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
        {
            error.WriteLine($"error: {parsed.Errors[0].Message}");
            return 2;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException or FormatException
                                       or UnauthorizedAccessException or TrainingDivergedException or NotSupportedException)
        {
            var message = e is TrainingDivergedException ? $"{e.Message} Try a smaller --lr." : e.Message;
            error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }
}
