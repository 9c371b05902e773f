using System.Globalization;
using OxyPlot.Series;

namespace MlNetDeep.Charts;

/// <summary>A heatmap coloured by the fraction of each true class but labelled with the counts, as a confusion matrix is read.</summary>
internal sealed class CountHeatMap(int[,] counts) : HeatMapSeries
{
    // The series indexes [x = predicted, y = true]; the report's matrix is [true, predicted].
    protected override string GetLabel(double v, int i, int j) => counts[j, i].ToString(CultureInfo.InvariantCulture);
}
