namespace MlNetDeep.Tests.ML.Detection;

/// <summary>The suite's floors of <see cref="YoloTrainerTests"/>, below the worst of the seeds measured for its recipe.</summary>
internal static class YoloFloors
{
    public const double Map50 = 0.10;
    public const double Map5095 = 0.03;
}
