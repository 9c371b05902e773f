using Microsoft.ML;

namespace MlNetDeep.ML;

/// <summary>An image folder split into training and validation rows, each class in the same proportion in both (stratified).</summary>
/// <param name="TrainSet">The training rows (ImagePath, Label).</param>
/// <param name="ValidationSet">The validation rows (ImagePath, Label).</param>
/// <param name="ClassNames">The classes, the subfolders' names in ordinal order.</param>
public sealed record ImageFolderSplit(IDataView TrainSet, IDataView ValidationSet, IReadOnlyList<string> ClassNames);
