namespace MlNetDeep.ML;

/// <summary>
/// How <see cref="ImageFolderCatalog.LoadFromImageFolder(Microsoft.ML.DataOperationsCatalog, ImageFolderOptions)"/> and
/// <see cref="ImageFolderCatalog.SplitImageFolder(Microsoft.ML.DataOperationsCatalog, ImageFolderOptions)"/> read a folder
/// with one subfolder per class.
/// </summary>
public sealed class ImageFolderOptions
{
    /// <summary>The folder: each subfolder is a class, named after it, and holds that class's images (subfolders of it too).</summary>
    public string Path = string.Empty;

    /// <summary>The text column holding each image's full path (LoadImages' input).</summary>
    public string ImagePathColumnName = "ImagePath";

    /// <summary>The text column holding each image's class, its subfolder's name (map it to a key with MapValueToKey).</summary>
    public string LabelColumnName = "Label";

    /// <summary>The file extensions taken as images, compared without regard to case.</summary>
    public string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// Shuffle the rows (true by default): a trainer that streams the images reads them in the view's order through a
    /// bounded shuffle pool, which cannot mix a folder sorted by class.
    /// </summary>
    public bool Shuffle = true;

    /// <summary>Seeds the shuffle and the split; when null it is drawn from the MLContext's seed.</summary>
    public int? Seed;

    /// <summary>
    /// For <see cref="ImageFolderCatalog.SplitImageFolder(Microsoft.ML.DataOperationsCatalog, ImageFolderOptions)"/>: the
    /// fraction of each class's images held out for validation (stratified), in (0, 1).
    /// </summary>
    public double ValidationFraction = 0.2;
}
