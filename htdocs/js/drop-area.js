// "Dateien in diesen Bereich ziehen oder …": a drop area around the file
// picker. Files dropped on it go the same way as files chosen with the
// picker (onFiles(FileList)); the picker inside the area is the keyboard
// and touch alternative (its label is a button-styled control, the input
// itself stays in the tab order).

export function dropArea(area, onFiles) {
    if (!area) return;
    let depth = 0;
    const on = (v) => area.classList.toggle('drop-active', v);
    area.addEventListener('dragenter', (e) => {
        if (!e.dataTransfer || !Array.from(e.dataTransfer.types || []).includes('Files')) return;
        e.preventDefault();
        depth++;
        on(true);
    });
    area.addEventListener('dragover', (e) => {
        if (!e.dataTransfer) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
    });
    area.addEventListener('dragleave', () => {
        depth = Math.max(0, depth - 1);
        if (depth === 0) on(false);
    });
    area.addEventListener('drop', (e) => {
        e.preventDefault();
        depth = 0;
        on(false);
        if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) onFiles(e.dataTransfer.files);
    });
}
