using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MlNetDeep.Benchmarks;

/// <summary>Adds a GFLOP/s column (from the median and the "Shape" parameter) and the median.</summary>
public class GemmBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GemmBenchmarkConfig()
    {
        AddColumn(StatisticColumn.Median);
        AddColumn(StatisticColumn.Min);
        AddColumn(new GemmGflopsColumn());
    }

    private sealed class GemmGflopsColumn : IColumn
    {
        public string Id => "GemmGflops";

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "2·m·n·k / median time, in 10⁹ floating-point operations per second";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Shape")?.Value as string;
            var report = summary[benchmarkCase];
            if (shape is null || report?.ResultStatistics is null)
            {
                return "-";
            }

            double seconds = report.ResultStatistics.Median * 1e-9;
            return (GemmShape.Flops(shape) / seconds / 1e9).ToString("F1");
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
