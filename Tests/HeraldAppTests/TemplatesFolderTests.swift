import Foundation
import HeraldApp
import HeraldCore
import Testing

/// A templates folder that is not there: every email would go out with Clerk's rendering.
@Suite(.serialized) struct TemplatesFolderTests {
    static func environment(_ folder: URL) -> [String: String] {
        [
            "HERALD_LISTEN": "127.0.0.1:0", "HERALD_WEBHOOK_SECRET": testSecretText, "HERALD_DELIVERY": "off",
            "HERALD_DATABASE": folder.appendingPathComponent("var/herald.db").path,
        ]
    }

    /// Runs serve until it exits or listens (then stops it): its exit code (nil when it served) and its log.
    static func serve(_ environment: [String: String], in folder: URL) throws -> (Int32?, String) {
        let child = try Child(["serve"], environment: environment, directory: folder)
        _ = child.waitFor { $0.stderr.contains("herald listening") || !$0.process.isRunning }
        guard child.process.isRunning else { return (child.wait(), child.stderr) }
        child.process.terminate()
        _ = child.wait()
        return (nil, child.stderr)
    }

    @Test func aFolderNamedExplicitlyThatIsNotThereStopsServeAndCheck() throws {
        let folder = try temporaryFolder()
        let missing = folder.appendingPathComponent("tempaltes").path
        var environment = Self.environment(folder)
        environment["HERALD_TEMPLATES"] = missing
        let (status, stderr) = try Self.serve(environment, in: folder)
        #expect(status == 1)
        #expect(stderr.contains("Error: HERALD_TEMPLATES: the templates folder \(missing) does not exist"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("var/herald.db").path))
        let (checked, out, _) = try Child.run(["check"], environment: environment, directory: folder)
        #expect(checked == 1)
        #expect(out.contains("problem: HERALD_TEMPLATES: the templates folder \(missing) does not exist"))

        // The same from the file, and for a file where the folder should be.
        let file = folder.appendingPathComponent("herald.json")
        try Data(#"{"templates": "herald.json"}"#.utf8).write(to: file)
        environment["HERALD_TEMPLATES"] = nil
        environment["HERALD_CONFIG"] = file.path
        let (fromFile, fileError) = try Self.serve(environment, in: folder)
        #expect(fromFile == 1)
        #expect(fileError.contains("Error: \(file.path): \"templates\": the templates folder herald.json is not a folder"), "\(fileError)")
    }

    @Test func theDefaultFolderMissingOrEmptyIsAWarning() throws {
        let folder = try temporaryFolder()
        let (status, stderr) = try Self.serve(Self.environment(folder), in: folder)
        #expect(status == nil, "\(stderr)")
        #expect(stderr.contains("level=warning"))
        #expect(stderr.contains("no templates folder at templates (does not exist): Clerk's rendering is sent for every message"))
        let (checked, out, _) = try Child.run(["check"], environment: Self.environment(folder), directory: folder)
        #expect(checked == 0)
        #expect(out.contains("note: no templates folder at templates"))

        try FileManager.default.createDirectory(at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
        let (empty, emptyLog) = try Self.serve(Self.environment(folder), in: folder)
        #expect(empty == nil)
        #expect(emptyLog.contains("the templates folder holds no message template: Clerk's rendering is sent for every message"))
        #expect(emptyLog.contains("templates=\"0 in templates\""))
    }
}
