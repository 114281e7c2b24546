/** `fn` called `wait` ms after the last call (`cancel` drops a pending call). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, wait: number) {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const call = (...args: A) => {
		clearTimeout(timer);
		timer = setTimeout(() => fn(...args), wait);
	};
	call.cancel = () => clearTimeout(timer);
	return call;
}
