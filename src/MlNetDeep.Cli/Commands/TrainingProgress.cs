using System.Globalization;
using MlNetDeep.Training;
using Spectre.Console;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// Shows training as it goes: on a terminal a Spectre.Console progress bar per epoch with its ETA and the running loss
/// and accuracy, updated every mini-batch; when the output is redirected, plain lines (a quarter of an epoch at a time,
/// then the epoch's summary) and no escape sequences.
/// </summary>
internal sealed class TrainingProgress(Terminal terminal, int epochs)
{
    private ProgressContext? _context;
    private ProgressTask? _task;
    private int _epoch;
    private int _quarter;

    public T Run<T>(Func<T> train)
    {
        if (terminal.Redirected)
        {
            return train();
        }

        return terminal.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _context = context;
                return train();
            });
    }

    public void Batch(BatchResult b)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"epoch {b.Epoch}/{epochs}  batch {b.Batch}/{b.BatchesPerEpoch}  loss {b.Loss:F4}{(b.Accuracy is { } a ? $"  acc {a:P2}" : string.Empty)}");
        if (_context is null)
        {
            // Redirected: a plain line at each quarter of the epoch.
            var quarter = b.Batch * 4 / b.BatchesPerEpoch;
            if (b.Epoch != _epoch)
            {
                (_epoch, _quarter) = (b.Epoch, 0);
            }

            if (quarter > _quarter && b.Batch < b.BatchesPerEpoch)
            {
                _quarter = quarter;
                terminal.Line(text);
            }

            return;
        }

        if (_task is null || b.Epoch != _epoch)
        {
            _epoch = b.Epoch;
            _task = _context.AddTask(Markup.Escape(text), maxValue: b.BatchesPerEpoch);
        }

        _task.Value = b.Batch;
        _task.Description = Markup.Escape(text);
    }

    public void Epoch(EpochResult e)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch}/{epochs}  loss {e.TrainLoss:F4}{(e.TrainAccuracy is { } a ? $"  acc {a:P2}" : string.Empty)}{(e.ValidationLoss is { } vl ? $"  held-out loss {vl:F4}" : string.Empty)}{(e.ValidationAccuracy is { } va ? $"  held-out acc {va:P2}" : string.Empty)}  lr {e.LearningRate:G3}  {e.Seconds:F2}s");
        if (_task is not null)
        {
            _task.Description = Markup.Escape(line);
            _task.StopTask();
        }
        else
        {
            terminal.Line(line);
        }
    }
}
