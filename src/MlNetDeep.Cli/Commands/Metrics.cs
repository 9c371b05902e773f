using System.Globalization;
using Microsoft.ML;
using MlNetDeep.ML;
using MlNetDeep.Training;
using Spectre.Console;

namespace MlNetDeep.Cli.Commands;

/// <summary>The metrics table of a scored data view, per task, with ML.NET's evaluators (and MlNetDeep's per-class report).</summary>
internal static class Metrics
{
    /// <summary>Shows the metrics; returns the per-class report of a multiclass task (for its charts), else null.</summary>
    public static ClassificationReport? Show(Terminal terminal, MLContext ml, NeuralNetworkTask task, IDataView scored, string score = "Score", string predictedLabel = "PredictedLabel")
    {
        ClassificationReport? classes = null;
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, double value, string format = "P2") => table.AddRow(name, value.ToString(format, CultureInfo.InvariantCulture));
        switch (task)
        {
            case NeuralNetworkTask.MulticlassClassification:
                var report = ml.MulticlassClassification.EvaluateWithReport(scored, predictedLabelColumnName: predictedLabel, scoreColumnName: score);
                terminal.Line(report.ToString());
                classes = report.Report;
                Row("accuracy", report.Accuracy);
                Row("macro precision", report.MacroPrecision);
                Row("macro recall", report.MacroRecall);
                Row("macro F1", report.MacroF1);
                break;
            case NeuralNetworkTask.BinaryClassification:
                var binary = ml.BinaryClassification.EvaluateNonCalibrated(scored, scoreColumnName: score, predictedLabelColumnName: predictedLabel);
                Row("accuracy", binary.Accuracy);
                Row("AUC", binary.AreaUnderRocCurve, "F4");
                Row("precision", binary.PositivePrecision);
                Row("recall", binary.PositiveRecall);
                Row("F1", binary.F1Score, "F4");
                break;
            default:
                var regression = ml.Regression.Evaluate(scored, scoreColumnName: score);
                Row("RMSE", regression.RootMeanSquaredError, "G4");
                Row("MAE", regression.MeanAbsoluteError, "G4");
                Row("R²", regression.RSquared, "F4");
                break;
        }

        terminal.Console.Write(table);
        return classes;
    }
}
