public enum App {}
