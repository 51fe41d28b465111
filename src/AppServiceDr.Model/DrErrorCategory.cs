namespace AppServiceDr
{
    /// <summary>
    /// The kind of failure, named after the PowerShell error categories the cmdlets map them to.
    /// The engine has no PowerShell reference, so it carries the name and the adapter converts it.
    /// </summary>
    public enum DrErrorCategory
    {
        NotSpecified,
        InvalidArgument,
        InvalidData,
        InvalidOperation,
        ObjectNotFound,
        ResourceExists,
        ResourceUnavailable,
        ResourceBusy,
        PermissionDenied,
        AuthenticationError,
        ConnectionError,
        OperationTimeout,
        OperationStopped,
        ReadError,
        WriteError,
        NotInstalled,
        LimitsExceeded,
        SecurityError,
        DeviceError,
    }
}
